/**
 * The consumer runner's behaviour, written once and run on each engine: the embedded engine in
 * `consumer-runner.unit.spec.ts`, Kafka + PostgreSQL in `consumer-runner.int.spec.ts`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, type BackboneFixture } from '../testing/embedded-fixture.ts';
import { ConsumerRunner, type ConsumerOptions } from './consumer-runner.ts';
import { permanentError, transientError } from '../errors.ts';
import { deadLetterHeaders } from './dead-letter.ts';
import { envelopeHeaders } from '../envelope/envelope.ts';
import type { BatchEventHandler, EventHandler } from './handler.ts';
import { observedDatabase } from '../testing/observed-database.ts';
import { createLogger } from '../observability/logger.ts';
import { createBackboneMetrics, createMetricsRegistry } from '../observability/metrics.ts';

export function consumerRunnerSuite(engine: string, makeFixture: () => Promise<BackboneFixture>): void {
  describe(`ConsumerRunner on ${engine}`, () => {
    let fx: BackboneFixture;
    let events: string;
    let results: string;
    const runners: ConsumerRunner[] = [];

    beforeEach(async () => {
      fx = await makeFixture();
      events = fx.topicName('events');
      results = fx.topicName('results');
      await fx.db.exec(`create table applied (consumer text, key text, seq int, event_id text)`);
    });

    afterEach(async () => {
      await Promise.all(runners.splice(0).map((runner) => runner.stop()));
      await fx.close();
    });

    async function run(options: Partial<ConsumerOptions> & Pick<ConsumerOptions, 'topics'>): Promise<ConsumerRunner> {
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

    const event = (key: string, seq: number) => ({ topic: events, eventType: 'test.event', key, payload: { key, seq } });

    it('applies each event once, emits in the same transaction and carries the envelope forward', async () => {
      await fx.createTopic(events);
      await fx.createTopic(results);
      const [first] = await fx.publish([event('a', 1), event('b', 2)], { correlationId: 'corr-1' });
      // The same event published twice upstream (a relay that crashed before marking it sent).
      await fx.bus.publish([first!]);
      await run({
        topics: [events],
        handler: async (e, context) => {
          await recording()(e, context);
          context.emit({ topic: results, eventType: 'test.result', key: (e.payload as { key: string }).key, payload: { ok: true } });
        },
      });
      await eventually(async () => (await fx.records(results)).length === 2, 'two results');
      expect((await applied()).map((r) => r.seq).sort()).toEqual([1, 2]);
      const emitted = await fx.records(results);
      const causes = emitted.map((r) => r.headers[envelopeHeaders.causationId]!.toString());
      const sources = (await fx.records(events)).map((r) => r.headers[envelopeHeaders.eventId]!.toString());
      expect(new Set(causes)).toEqual(new Set(sources));
      expect(emitted.every((r) => r.headers[envelopeHeaders.correlationId]!.toString() === 'corr-1')).toBe(true);
      expect(emitted.every((r) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(r.headers[envelopeHeaders.traceparent]!.toString()))).toBe(
        true,
      );
    });

    it('resumes from its stored position after a restart, applying nothing twice', async () => {
      await fx.createTopic(events);
      await fx.publish([event('a', 1), event('a', 2)]);
      const first = await run({ topics: [events], handler: recording() });
      await eventually(async () => (await applied()).length === 2, 'first two');
      await first.stop();
      await fx.publish([event('a', 3)]);
      await run({ topics: [events], handler: recording() });
      await eventually(async () => (await applied()).length === 3, 'third');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await applied()).map((r) => r.seq)).toEqual([1, 2, 3]);
    });

    it('dead-letters a poison pill with its original bytes and the reason, and keeps the partition flowing', async () => {
      await fx.createTopic(events, 1);
      await fx.publish([event('k', 1)]);
      const [valid] = await fx.publish([event('k', 2)]);
      await fx.bus.publish([{ ...valid!, value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) }]);
      await fx.publish([event('k', 3)]);
      await run({ topics: [events], handler: recording() });
      await eventually(async () => (await applied()).length === 3, 'the three valid events');
      const letters = await fx.records(`${events}.dlq`);
      expect(letters).toHaveLength(1);
      const letter = letters[0]!;
      expect(letter.value).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      expect(letter.headers[deadLetterHeaders.errorCode]!.toString()).toBe('UNDECODABLE_EVENT');
      expect(letter.headers[deadLetterHeaders.originalTopic]!.toString()).toBe(events);
      expect(letter.headers[deadLetterHeaders.originalOffset]!.toString()).toBe('2');
      expect(letter.headers[deadLetterHeaders.consumerGroup]!.toString()).toBe('test-consumer');
      expect(letter.headers[deadLetterHeaders.reason]!.toString()).toMatch(/JSON/);
      expect(letter.headers[envelopeHeaders.eventId]).toEqual(valid!.headers![envelopeHeaders.eventId]);
    });

    it('dead-letters a permanent handler error at once, rolling back its writes', async () => {
      await fx.createTopic(events, 1);
      await fx.publish([event('k', 1), event('k', 2), event('k', 3)]);
      await run({
        topics: [events],
        handler: recording((payload) => {
          if (payload.seq === 2) throw permanentError('account closed');
        }),
      });
      await eventually(
        async () => (await fx.records(`${events}.dlq`)).length === 1 && (await applied()).length === 2,
        'dead letter and the rest',
      );
      expect((await applied()).map((r) => r.seq)).toEqual([1, 3]);
      const letter = (await fx.records(`${events}.dlq`))[0]!;
      expect(letter.headers[deadLetterHeaders.errorCode]!.toString()).toBe('HANDLER_REJECTED');
      expect(letter.headers[deadLetterHeaders.attempts]!.toString()).toBe('1');
    });

    it('leaves a duplicate at a new offset to a handler that deduplicates itself: it reaches the handler, and no id is recorded', async () => {
      await fx.createTopic(events, 1);
      const [first] = await fx.publish([event('a', 1), event('b', 2)]);
      await run({ topics: [events], deduplication: 'handler', handler: recording() });
      await eventually(async () => (await applied()).length === 2, 'both events');
      // The same event again at a new offset, in a batch of its own: the runner passes it on.
      await fx.bus.publish([first!]);
      await eventually(async () => (await applied()).length === 3, 'the duplicate, handed to the handler');
      expect((await applied()).map((r) => r.seq)).toEqual([1, 2, 1]);
      const recorded = await fx.db.query(`select 1 from consumer_processed_events where consumer = 'test-consumer'`);
      expect(recorded.rows).toHaveLength(0);
    });

    it('refuses an emit from a handler that deduplicates itself, so a duplicate cannot emit twice', async () => {
      await fx.createTopic(events, 1);
      await fx.createTopic(results);
      await fx.publish([event('a', 1)]);
      await run({
        topics: [events],
        deduplication: 'handler',
        retry: { mode: 'blocking', delaysMs: [] },
        handler: async (e, context) => context.emit({ topic: results, eventType: 'test.result', key: 'a', payload: { ok: true } }),
      });
      await eventually(async () => (await fx.records(`${events}.dlq`)).length === 1, 'the event dead-lettered');
      const letter = (await fx.records(`${events}.dlq`))[0]!;
      expect(letter.headers[deadLetterHeaders.reason]!.toString()).toContain('its deduplication is left to its handler');
      expect(await fx.records(results)).toHaveLength(0);
    });

    it("keeps its group's heartbeat fresh while it polls, and removes it when it stops", async () => {
      await fx.createTopic(events, 1);
      const registry = createMetricsRegistry({ processMetrics: false });
      const metrics = createBackboneMetrics(registry);
      const heartbeat = async () =>
        (await metrics.consumerHeartbeatSeconds.get()).values.find((value) => value.labels.group === 'test-consumer')?.value;
      const runner = new ConsumerRunner({ ...fx.deps, metrics }, { name: 'test-consumer', topics: [events], handler: recording() });
      await runner.start();
      try {
        const startedSeconds = fx.deps.clock.nowMs() / 1000;
        await eventually(async () => ((await heartbeat()) ?? 0) >= startedSeconds, 'a heartbeat from an idle poll');
        await fx.publish([event('a', 1)]);
        await eventually(async () => (await applied()).length === 1, 'the event applied');
        const afterEventSeconds = fx.deps.clock.nowMs() / 1000;
        await eventually(async () => ((await heartbeat()) ?? 0) >= afterEventSeconds, 'a heartbeat after the event');
      } finally {
        await runner.stop();
      }
      expect(await heartbeat()).toBeUndefined();
    });

    it('refuses an emit to a topic the consumer does not declare in produces, and carries out the declared ones', async () => {
      await fx.createTopic(events, 1);
      await fx.createTopic(results);
      await fx.publish([event('declared', 1), event('undeclared', 2)]);
      await run({
        topics: [events],
        produces: [results],
        retry: { mode: 'blocking', delaysMs: [] },
        handler: async (e, context) => {
          const { key } = e.payload as { key: string };
          context.emit({
            topic: key === 'declared' ? results : `${results}.elsewhere`,
            eventType: 'test.result',
            key,
            payload: { ok: true },
          });
        },
      });
      await eventually(async () => (await fx.records(`${events}.dlq`)).length === 1, 'the undeclared emit dead-lettered');
      const letter = (await fx.records(`${events}.dlq`))[0]!;
      expect(letter.headers[deadLetterHeaders.reason]!.toString()).toContain(
        `emits ${results}.elsewhere, which it does not declare in produces`,
      );
      expect((await fx.records(results)).map((record) => record.key?.toString())).toEqual(['declared']);
    });

    it('blocking retry: the partition waits, then the event applies once, in order', async () => {
      await fx.createTopic(events, 1);
      await fx.publish([event('k', 1), event('k', 2), event('k', 3)]);
      await run({
        topics: [events],
        retry: { mode: 'blocking', delaysMs: [10, 20, 30] },
        handler: recording((payload, attempt) => {
          if (payload.seq === 2 && attempt < 2) throw transientError('core banking timed out');
        }),
      });
      await eventually(async () => (await applied()).length === 3, 'all three');
      expect((await applied()).map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(await fx.records(`${events}.dlq`)).toHaveLength(0);
    });

    it('blocking retry: dead-letters after the last attempt as RETRIES_EXHAUSTED', async () => {
      await fx.createTopic(events, 1);
      await fx.publish([event('k', 1), event('k', 2)]);
      await run({
        topics: [events],
        retry: { mode: 'blocking', delaysMs: [5, 5] },
        handler: recording((payload) => {
          if (payload.seq === 1) throw transientError('still down');
        }),
      });
      await eventually(async () => (await applied()).length === 1, 'the second event');
      const letter = (await fx.records(`${events}.dlq`))[0]!;
      expect(letter.headers[deadLetterHeaders.errorCode]!.toString()).toBe('RETRIES_EXHAUSTED');
      expect(letter.headers[deadLetterHeaders.attempts]!.toString()).toBe('3');
    });

    it('non-blocking retry keeps per-key order while other keys flow', async () => {
      const delaysMs = [50, 100, 200, 400, 800, 1600, 3200];
      await fx.createTopic(events, 2, delaysMs);
      const keys = ['alice', 'bob', 'carol', 'dave'];
      await fx.publish(Array.from({ length: 40 }, (_, i) => event(keys[i % keys.length]!, i)));
      let bobFailures = 0;
      await run({
        topics: [events],
        retry: { mode: 'non-blocking', delaysMs },
        handler: async (e, context) => {
          const payload = e.payload as { key: string; seq: number };
          if (payload.key === 'bob' && payload.seq === 1) {
            // bob's first event fails transiently until every other key's events are applied: they
            // can only get there by flowing past bob while bob's key is parked.
            const others = await context.tx.query<{ n: bigint }>(`select count(*)::int8 as n from applied where key <> 'bob'`);
            if (others.rows[0]!.n < 30n) {
              bobFailures++;
              throw transientError('fraud engine timed out');
            }
          }
          await recording()(e, context);
        },
      });
      await eventually(async () => (await applied()).length === 40, 'all 40 events', 30_000);
      const rows = await applied();
      for (const key of keys) {
        const seqs = rows.filter((r) => r.key === key).map((r) => r.seq);
        expect(seqs, `order of ${key}`).toEqual([...seqs].sort((a, b) => a - b));
        expect(seqs).toHaveLength(10);
      }
      expect(rows.findIndex((r) => r.key === 'bob')).toBe(30);
      expect(bobFailures).toBeGreaterThanOrEqual(1);
      expect(await fx.records(`${events}.dlq`)).toHaveLength(0);
      expect((await fx.db.query(`select * from consumer_parked_keys`)).rows).toHaveLength(0);
    });

    it('a batch handler writes a batch set-based; an event that fails it is found, dead-lettered, and the others apply once', async () => {
      await fx.createTopic(events, 1);
      await fx.publish([1, 2, 3, 4, 5].map((seq) => event('k', seq)));
      const sizes: number[] = [];
      const batchHandler: BatchEventHandler = async (batch, { tx }) => {
        sizes.push(batch.length);
        const payloads = batch.map((e) => e.payload as { key: string; seq: number });
        await tx.query(`insert into applied select 'test-consumer', k, s, e from unnest($1::text[], $2::int[], $3::text[]) as t(k, s, e)`, [
          payloads.map((p) => p.key),
          payloads.map((p) => p.seq),
          batch.map((e) => e.envelope.eventId),
        ]);
        // Says only that the batch failed, not which event: the processor has to find it.
        if (payloads.some((p) => p.seq === 3)) throw permanentError('a closed account in the batch');
      };
      await run({ topics: [events], batchHandler });
      await eventually(
        async () => (await fx.records(`${events}.dlq`)).length === 1 && (await applied()).length === 4,
        'dead letter and the rest',
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await applied()).map((r) => r.seq)).toEqual([1, 2, 4, 5]);
      expect(Math.max(...sizes)).toBeGreaterThan(1);
      expect((await fx.records(`${events}.dlq`))[0]!.headers[deadLetterHeaders.originalOffset]!.toString()).toBe('2');
    });

    it('runs an after-commit effect once the batch committed, and never for a batch that rolled back', async () => {
      await fx.createTopic(events, 1);
      await fx.publish([event('k', 1), event('k', 2)]);
      const seenCommitted: Array<{ seq: number; visible: boolean }> = [];
      await run({
        topics: [events],
        handler: async (e, context) => {
          const payload = e.payload as { key: string; seq: number };
          context.afterCommit(async () => {
            const found = await fx.db.query(`select 1 from applied where event_id = $1`, [e.envelope.eventId]);
            seenCommitted.push({ seq: payload.seq, visible: found.rows.length === 1 });
          });
          await recording()(e, context);
          if (payload.seq === 2) throw permanentError('refused after the effect was registered');
        },
      });
      await eventually(
        async () => (await fx.records(`${events}.dlq`)).length === 1 && seenCommitted.length === 1,
        'the first effect and the dead letter',
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seenCommitted).toEqual([{ seq: 1, visible: true }]);
    });

    it("logs every line about an event with its correlation id and its business fields: handlers of both kinds, their after-commit effects, the processor's line about a failure", async () => {
      await fx.createTopic(events);
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger({
        level: 'debug',
        destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
      });
      const deps = { ...fx.deps, logger, eventLogFields: (e: { payload: unknown }) => ({ orderKey: (e.payload as { key: string }).key }) };
      const handler: EventHandler = async (e, context) => {
        const { key } = e.payload as { key: string };
        logger.info({ seq: (e.payload as { seq: number }).seq }, 'per-event handler');
        context.afterCommit(async () => void logger.info('per-event effect'));
        if (key === 'refused') throw permanentError('refused on purpose');
      };
      const batchHandler: BatchEventHandler = async (batch, context) => {
        logger.info({ size: batch.length }, 'batch handler');
        context.afterCommit(async () => void logger.info('batch effect'));
      };
      // Batches of one (maxBatchRecords): a batch handler's batch of one runs in its event's context.
      await fx.publish([event('accepted', 1)], { correlationId: 'corr-accepted' });
      await fx.publish([event('refused', 2)], { correlationId: 'corr-refused' });
      for (const options of [
        { name: 'per-event', handler },
        { name: 'batch', batchHandler, maxBatchRecords: 1 },
      ]) {
        const runner = new ConsumerRunner(deps, { topics: [events], retry: { delaysMs: [] }, ...options });
        runners.push(runner);
        await runner.start();
      }
      const messages = ['per-event handler', 'per-event effect', 'batch handler', 'batch effect', 'handler failed: refused on purpose'];
      await eventually(
        async () =>
          messages.every((msg) => lines.some((line) => line.msg === msg)) &&
          lines.filter((line) => line.msg === 'batch effect').length === 2,
        'every line',
      );

      for (const line of lines.filter((candidate) => messages.includes(String(candidate.msg)))) {
        const key = line.correlationId === 'corr-refused' ? 'refused' : 'accepted';
        expect({ correlationId: line.correlationId, orderKey: line.orderKey, eventId: typeof line.eventId }, JSON.stringify(line)).toEqual({
          correlationId: `corr-${key}`,
          orderKey: key,
          eventId: 'string',
        });
      }
      expect(lines.find((line) => line.msg === 'handler failed: refused on purpose')).toMatchObject({
        correlationId: 'corr-refused',
        orderKey: 'refused',
      });
      expect(
        lines
          .filter((line) => line.msg === 'batch handler' || line.msg === 'batch effect')
          .map((line) => line.correlationId)
          .sort(),
      ).toEqual(['corr-accepted', 'corr-accepted', 'corr-refused', 'corr-refused']);
    });

    it('checks a batch for duplicates with an index probe per event, however many ids the consumer processed before', async () => {
      await fx.createTopic(events, 1);
      // Ids processed before, in a table never analysed: the planner knows nothing of their spread.
      await fx.db.query(
        `insert into consumer_processed_events (consumer, event_id) select 'test-consumer', 'earlier-' || g from generate_series(1, 20000) g`,
      );
      // One batch of many events, as under load: the planner weighs one probe per id against a scan.
      await fx.publish(Array.from({ length: 300 }, (_, i) => event(`k${i}`, i)));
      const lookups: { sql: string; params: readonly unknown[] }[] = [];
      const db = observedDatabase(fx.db, {
        onStatement: (sql, params) => {
          if (sql.includes('from consumer_processed_events')) lookups.push({ sql, params });
        },
      });
      const runner = new ConsumerRunner({ ...fx.deps, db }, { name: 'test-consumer', topics: [events], handler: recording() });
      runners.push(runner);
      await runner.start();
      await eventually(async () => (await applied()).length === 300, 'the 300 events');

      const lookup = lookups[0]!;
      expect((lookup.params[4] as string[]).length).toBeGreaterThan(0);
      const explained = await fx.db.query<{ 'QUERY PLAN': unknown }>(`explain (analyze, format json) ${lookup.sql}`, lookup.params);
      const readRows = rowsTouched(explained.rows[0]!['QUERY PLAN'], 'consumer_processed_events');
      // About one index entry per id asked for, not the 20,000 the consumer has (reading them all
      // was the plan PostgreSQL chose for `event_id = any($5)` before the table's first ANALYZE).
      expect(readRows).toBeLessThanOrEqual(2 * (lookup.params[4] as string[]).length);
    });
  });
}

/** Rows the plan's nodes on `table` (and its indexes) read, kept or filtered out, over all their loops. */
function rowsTouched(plan: unknown, table: string): number {
  const nodes = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: PlanNode }[];
  let total = 0;
  const visit = (node: PlanNode): void => {
    if (node['Relation Name'] === table || node['Index Name']?.startsWith(table)) {
      total +=
        (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * node['Actual Loops'];
    }
    node.Plans?.forEach(visit);
  };
  nodes.forEach((root) => visit(root.Plan));
  return total;
}

interface PlanNode {
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}
