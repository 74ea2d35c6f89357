import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../clock/clock.ts';
import { uuidV7Ids } from '../clock/clock.ts';
import { JsonCodec } from '../codec/json-codec.ts';
import { handleInTransaction, type ConsumedEvent } from '../consumer/index.ts';
import { TableOutbox, outboxMigrations } from '../outbox/index.ts';
import { PgliteDatabase } from '../storage-pglite/index.ts';
import { migrate } from '../storage/migrate.ts';
import { commandIdOf, type SagaDefinition } from './definition.ts';
import { SagaOrchestrator, sagaReplyEventType, type SagaReply } from './saga-orchestrator.ts';
import { sagaMigrations } from './migrations.ts';

// One transaction or nothing: a start or a reply whose transaction rolls back leaves no instance, no
// history, no timer and no command in the outbox; applied again, it counts once.
describe('saga changes commit with the transaction that applies them (PGlite)', () => {
  let db: PgliteDatabase;
  let orchestrator: SagaOrchestrator;
  const clock: Clock = { nowMs: () => Date.parse('2026-01-05T09:00:00Z'), sleep: async () => {} };
  const definition: SagaDefinition = {
    type: 'example',
    steps: [
      { name: 'RESERVE', commandTopic: 'stock.commands', compensation: 'RELEASE' },
      { name: 'CHARGE', commandTopic: 'billing.commands' },
    ],
    stepTimeoutMs: 1_000,
    maxAttempts: 2,
    compensation: { maxAttempts: 2, retryDelayMs: 500, timeoutMs: 1_000 },
  };

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db, 'outbox', outboxMigrations);
    await migrate(db, 'saga', sagaMigrations);
    orchestrator = new SagaOrchestrator(
      { db, outbox: new TableOutbox(), codec: new JsonCodec(), clock, ids: uuidV7Ids, logger: pino({ level: 'silent' }) },
      { definition, replyTopic: 'example.replies' },
    );
  });
  afterAll(() => db?.close());

  const counts = async (sagaId: string) => {
    const result = await db.query<{ instances: bigint; facts: bigint; timers: bigint; commands: bigint }>(
      `select (select count(*) from saga_instances where saga_id = $1)::int8 as instances, (select count(*) from saga_history where saga_id = $1)::int8 as facts,
              (select count(*) from saga_timers where saga_id = $1)::int8 as timers, (select count(*) from outbox where key = convert_to($1, 'UTF8'))::int8 as commands`,
      [sagaId],
    );
    const row = result.rows[0]!;
    return { instances: Number(row.instances), facts: Number(row.facts), timers: Number(row.timers), commands: Number(row.commands) };
  };
  const replyEvent = (reply: SagaReply): ConsumedEvent => ({
    envelope: {
      eventId: uuidV7Ids.eventId(),
      eventType: sagaReplyEventType,
      schemaVersion: 1,
      occurredAt: new Date(clock.nowMs()).toISOString(),
      correlationId: reply.sagaId,
      causationId: null,
      key: reply.sagaId,
      traceparent: '',
    },
    payload: reply,
    topic: 'example.replies',
    partition: 0,
    offset: 0n,
    attempt: 0,
  });

  it('leaves nothing of a start whose transaction rolls back', async () => {
    await expect(
      db.transaction(async (tx) => {
        await orchestrator.start('rolled-back', {}, tx);
        throw new Error('the caller failed after starting the saga');
      }),
    ).rejects.toThrow('the caller failed');
    expect(await counts('rolled-back')).toEqual({ instances: 0, facts: 0, timers: 0, commands: 0 });
  });

  it('leaves the instance as it was when a reply rolls back, and applies the redelivered reply once', async () => {
    await orchestrator.start('s-1', {});
    expect(await counts('s-1')).toEqual({ instances: 1, facts: 2, timers: 1, commands: 1 });
    const reply = replyEvent({ sagaId: 's-1', commandId: commandIdOf('s-1', 0, 'step'), ok: true });
    await expect(
      handleInTransaction(db, orchestrator.replyConsumer(), reply, async () => {
        throw new Error('crash before the commit');
      }),
    ).rejects.toThrow('crash before the commit');
    expect(await counts('s-1')).toEqual({ instances: 1, facts: 2, timers: 1, commands: 1 });

    // The next command goes through the command channel (here the bus's outbox), in the reply's transaction.
    await handleInTransaction(db, orchestrator.replyConsumer(), reply);
    expect(await counts('s-1')).toEqual({ instances: 1, facts: 4, timers: 1, commands: 2 });
    const sent = await db.query<{ topic: string; value: Uint8Array; causation: string }>(
      `select topic, value, convert_from(decode(headers->>'causation-id', 'base64'), 'UTF8') as causation from outbox order by id desc limit 1`,
    );
    expect(sent.rows[0]!.topic).toBe('billing.commands');
    expect((JSON.parse(Buffer.from(sent.rows[0]!.value).toString()) as { name: string }).name).toBe('CHARGE');
    expect(sent.rows[0]!.causation).toBe(reply.envelope.eventId);
    await handleInTransaction(db, orchestrator.replyConsumer(), reply);
    expect(await counts('s-1')).toEqual({ instances: 1, facts: 4, timers: 1, commands: 2 });
    const facts = await db.query<{ event_type: string }>(`select event_type from saga_history where saga_id = 's-1' order by seq`);
    expect(facts.rows.map((row) => row.event_type)).toEqual(['SagaStarted', 'StepSent', 'StepSucceeded', 'StepSent']);
  });

  it('refuses a reply it cannot read as permanent (dead-lettered, not retried)', async () => {
    await expect(
      handleInTransaction(db, orchestrator.replyConsumer(), replyEvent({ sagaId: 's-1', commandId: 'x' } as SagaReply)),
    ).rejects.toMatchObject({ retryable: false });
  });
});
