import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { embeddedFixture, eventually, type EmbeddedFixture } from '../testing/embedded-fixture.ts';
import { ConsumerRunner, type ConsumerOptions } from './consumer-runner.ts';
import { permanentError, transientError } from '../errors.ts';
import { deadLetterHeaders } from './dead-letter.ts';
import { envelopeHeaders } from '../envelope/envelope.ts';
import type { EventHandler } from './handler.ts';

describe('ConsumerRunner on the embedded engine', () => {
  let fx: EmbeddedFixture;
  const runners: ConsumerRunner[] = [];

  beforeEach(async () => {
    fx = await embeddedFixture();
    await fx.db.exec(`create table applied (consumer text, key text, seq int, event_id text)`);
  });

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    await fx.close();
  });

  async function run(options: Partial<ConsumerOptions> & Pick<ConsumerOptions, 'topics' | 'handler'>): Promise<ConsumerRunner> {
    const runner = new ConsumerRunner(fx.deps, { name: 'test-consumer', ...options });
    runners.push(runner);
    await runner.start();
    return runner;
  }

  /** A handler that records each event in the `applied` table, in the batch's transaction. */
  function recording(fail?: (payload: { key: string; seq: number }, attempt: number) => void): EventHandler {
    return async (event, { tx }) => {
      const payload = event.payload as { key: string; seq: number };
      fail?.(payload, event.attempt);
      await tx.query(`insert into applied values ($1, $2, $3, $4)`, ['test-consumer', payload.key, payload.seq, event.envelope.eventId]);
    };
  }

  async function applied(): Promise<Array<{ key: string; seq: number }>> {
    return (await fx.db.query<{ key: string; seq: number }>(`select key, seq from applied order by ctid`)).rows;
  }

  const event = (key: string, seq: number) => ({ topic: 'test.events.v1', eventType: 'test.event', key, payload: { key, seq } });

  it('applies each event once, emits in the same transaction and carries the envelope forward', async () => {
    await fx.createTopic('test.events.v1');
    await fx.createTopic('test.results.v1');
    const [first] = await fx.publish([event('a', 1), event('b', 2)], { correlationId: 'corr-1' });
    // The same event published twice upstream (a relay that crashed before marking it sent).
    await fx.bus.publish([first!]);
    await run({
      topics: ['test.events.v1'],
      handler: async (e, context) => {
        await recording()(e, context);
        context.emit({ topic: 'test.results.v1', eventType: 'test.result', key: (e.payload as { key: string }).key, payload: { ok: true } });
      },
    });
    await eventually(async () => (await fx.records('test.results.v1')).length === 2, 'two results');
    expect((await applied()).map((r) => r.seq).sort()).toEqual([1, 2]);
    const results = await fx.records('test.results.v1');
    const causes = results.map((r) => r.headers[envelopeHeaders.causationId]!.toString());
    const sources = (await fx.records('test.events.v1')).map((r) => r.headers[envelopeHeaders.eventId]!.toString());
    expect(new Set(causes)).toEqual(new Set(sources));
    expect(results.every((r) => r.headers[envelopeHeaders.correlationId]!.toString() === 'corr-1')).toBe(true);
    expect(results.every((r) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(r.headers[envelopeHeaders.traceparent]!.toString()))).toBe(true);
  });

  it('resumes from its stored position after a restart, applying nothing twice', async () => {
    await fx.createTopic('test.events.v1');
    await fx.publish([event('a', 1), event('a', 2)]);
    const first = await run({ topics: ['test.events.v1'], handler: recording() });
    await eventually(async () => (await applied()).length === 2, 'first two');
    await first.stop();
    await fx.publish([event('a', 3)]);
    await run({ topics: ['test.events.v1'], handler: recording() });
    await eventually(async () => (await applied()).length === 3, 'third');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await applied()).map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('dead-letters a poison pill with its original bytes and the reason, and keeps the partition flowing', async () => {
    await fx.createTopic('test.events.v1', 1);
    await fx.publish([event('k', 1)]);
    const [valid] = await fx.publish([event('k', 2)]);
    await fx.bus.publish([{ ...valid!, value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) }]);
    await fx.publish([event('k', 3)]);
    await run({ topics: ['test.events.v1'], handler: recording() });
    await eventually(async () => (await applied()).length === 3, 'the three valid events');
    const letters = await fx.records('test.events.v1.dlq');
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(letter.value).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(letter.headers[deadLetterHeaders.errorCode]!.toString()).toBe('UNDECODABLE_EVENT');
    expect(letter.headers[deadLetterHeaders.originalTopic]!.toString()).toBe('test.events.v1');
    expect(letter.headers[deadLetterHeaders.originalOffset]!.toString()).toBe('2');
    expect(letter.headers[deadLetterHeaders.consumerGroup]!.toString()).toBe('test-consumer');
    expect(letter.headers[deadLetterHeaders.reason]!.toString()).toMatch(/JSON/);
    expect(letter.headers[envelopeHeaders.eventId]).toEqual(valid!.headers![envelopeHeaders.eventId]);
  });

  it('dead-letters a permanent handler error at once, rolling back its writes', async () => {
    await fx.createTopic('test.events.v1', 1);
    await fx.publish([event('k', 1), event('k', 2), event('k', 3)]);
    await run({
      topics: ['test.events.v1'],
      handler: recording((payload) => {
        if (payload.seq === 2) throw permanentError('account closed');
      }),
    });
    await eventually(async () => (await fx.records('test.events.v1.dlq')).length === 1 && (await applied()).length === 2, 'dead letter and the rest');
    expect((await applied()).map((r) => r.seq)).toEqual([1, 3]);
    const letter = (await fx.records('test.events.v1.dlq'))[0]!;
    expect(letter.headers[deadLetterHeaders.errorCode]!.toString()).toBe('HANDLER_REJECTED');
    expect(letter.headers[deadLetterHeaders.attempts]!.toString()).toBe('1');
  });

  it('blocking retry: the partition waits, then the event applies once, in order', async () => {
    await fx.createTopic('test.events.v1', 1);
    await fx.publish([event('k', 1), event('k', 2), event('k', 3)]);
    await run({
      topics: ['test.events.v1'],
      retry: { mode: 'blocking', delaysMs: [10, 20, 30] },
      handler: recording((payload, attempt) => {
        if (payload.seq === 2 && attempt < 2) throw transientError('core banking timed out');
      }),
    });
    await eventually(async () => (await applied()).length === 3, 'all three');
    expect((await applied()).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(await fx.records('test.events.v1.dlq')).toHaveLength(0);
  });

  it('blocking retry: dead-letters after the last attempt as RETRIES_EXHAUSTED', async () => {
    await fx.createTopic('test.events.v1', 1);
    await fx.publish([event('k', 1), event('k', 2)]);
    await run({
      topics: ['test.events.v1'],
      retry: { mode: 'blocking', delaysMs: [5, 5] },
      handler: recording((payload) => {
        if (payload.seq === 1) throw transientError('still down');
      }),
    });
    await eventually(async () => (await applied()).length === 1, 'the second event');
    const letter = (await fx.records('test.events.v1.dlq'))[0]!;
    expect(letter.headers[deadLetterHeaders.errorCode]!.toString()).toBe('RETRIES_EXHAUSTED');
    expect(letter.headers[deadLetterHeaders.attempts]!.toString()).toBe('3');
  });

  it('non-blocking retry keeps per-key order while other keys flow', async () => {
    const delaysMs = [50, 100];
    await fx.createTopic('test.events.v1', 2, delaysMs);
    const keys = ['alice', 'bob', 'carol', 'dave'];
    const events = Array.from({ length: 40 }, (_, i) => event(keys[i % keys.length]!, i));
    await fx.publish(events);
    let bobFailures = 0;
    await run({
      topics: ['test.events.v1'],
      retry: { mode: 'non-blocking', delaysMs },
      handler: recording((payload) => {
        // bob's first event fails twice (transiently), then succeeds from the second retry tier.
        if (payload.key === 'bob' && payload.seq === 1 && bobFailures < 2) {
          bobFailures++;
          throw transientError('fraud engine timed out');
        }
      }),
    });
    await eventually(async () => (await applied()).length === 40, 'all 40 events', 30_000);
    const rows = await applied();
    for (const key of keys) {
      const seqs = rows.filter((r) => r.key === key).map((r) => r.seq);
      expect(seqs, `order of ${key}`).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs).toHaveLength(10);
    }
    // Other keys were not held up behind bob: every one of them finished before bob's first event.
    const bobFirstAt = rows.findIndex((r) => r.key === 'bob');
    expect(rows.slice(0, bobFirstAt).filter((r) => r.key !== 'bob')).toHaveLength(30);
    expect(bobFailures).toBe(2);
    expect(await fx.records('test.events.v1.dlq')).toHaveLength(0);
    expect((await fx.db.query(`select * from consumer_parked_keys`)).rows).toHaveLength(0);
  });
});
