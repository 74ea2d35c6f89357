import { manualClock } from '../testing/manual-clock.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEncoder } from '../envelope/event-encoder.ts';
import { partitionForKey } from '../messaging/partitioner.ts';
import { handleInTransaction, type ConsumedEvent } from '../consumer/handler.ts';
import { ConsumerRunner } from '../consumer/consumer-runner.ts';
import { migrate } from '../storage/migrate.ts';
import { eventually, type BackboneFixture } from '../testing/embedded-fixture.ts';
import type { Processor } from './processor.ts';
import { StreamRunner, type StreamProcessorDefinition } from './stream-runner.ts';
import { streamMigrations } from './migrations.ts';
import { watermarkKeys } from './watermark-keys.ts';
import type { StoreCodec } from './store-codec.ts';

/** The test processor's records: wait for event time (or a deadline), or add to a total. */
type TestInput = { op: 'wait'; eventTimeMs: number } | { op: 'add'; amount: bigint };
type TestOutput = { key: string; outcome: 'complete' | 'deadline'; atMs: number } | { key: string; total: bigint };
interface Totals {
  total: bigint;
  waitingSinceMs?: number;
}
const graceMs = 1_000;

/**
 * The live stream runner on one engine, with a small processor: `wait` arms an event-time timer
 * and a deadline (whichever fires first emits and disarms the other), `add` sums a bigint per key
 * (state round-trips through the codec), and a partition-scoped store counts a partition's records.
 * The engine's log, outbox, positions and database are real; the runner's clock is a fake one.
 */
export function streamRunnerSuite(engineName: string, makeFixture: () => Promise<BackboneFixture>): void {
  describe(`stream runner on ${engineName}`, () => {
    let fixture: BackboneFixture;
    let runner: StreamRunner<TestInput, TestOutput, { totals: Totals; seen: number }>;
    let consumer: ConsumerRunner;
    let definition: StreamProcessorDefinition<TestInput, TestOutput, { totals: Totals; seen: number }>;
    const clock = manualClock();
    const topics = { records: '', watermarks: '', outputs: '' };
    const partitions = 2;

    beforeAll(async () => {
      fixture = await makeFixture();
      await migrate(fixture.db, 'stream', streamMigrations);
      topics.records = fixture.topicName('stream-records');
      topics.watermarks = fixture.topicName('stream-watermarks');
      topics.outputs = fixture.topicName('stream-outputs');
      await fixture.createTopic(topics.records, partitions);
      await fixture.createTopic(topics.watermarks, partitions);
      await fixture.createTopic(topics.outputs, partitions);
      definition = testDefinition(fixture.topicName('stream-test'), topics);
      runner = new StreamRunner({ ...fixture.deps, clock, admin: fixture.admin }, definition, { timerPollMsMax: 50 });
      consumer = new ConsumerRunner({ ...fixture.deps, clock }, runner.consumerOptions());
      await consumer.start();
      await runner.startTimers((error) => {
        throw error;
      });
    }, 60_000);

    afterAll(async () => {
      await runner?.stop();
      await consumer?.stop();
      await fixture?.close();
    });

    const outputs = async () =>
      (await fixture.records(topics.outputs)).map((record) => JSON.parse(record.value!.toString()) as Record<string, unknown>);
    const outputsOf = async (key: string) => (await outputs()).filter((output) => output.key === key);
    const watermark = (watermarkMs: number) =>
      fixture.publish(
        watermarkKeys(partitions).map((key) => ({
          topic: topics.watermarks,
          eventType: 'Watermark',
          key,
          payload: { watermark: watermarkMs },
        })),
      );
    const send = (key: string, payload: Record<string, unknown>) =>
      fixture.publish([{ topic: topics.records, eventType: 'Op', key, payload }]);
    const stored = async (key: string) =>
      (
        await fixture.db.query<{ value: string }>(`select value from stream_state where processor = $1 and key = $2`, [
          definition.name,
          key,
        ])
      ).rows[0]?.value;

    it('refuses to start on inputs that are not co-partitioned, naming both topics', async () => {
      const other = fixture.topicName('stream-three-partitions');
      await fixture.createTopic(other, 3);
      const mismatched = new StreamRunner(
        { ...fixture.deps, clock, admin: fixture.admin },
        { ...definition, inputs: [definition.inputs[0]!, { topic: other, toInput: () => undefined }] },
      );
      await expect(mismatched.checkCoPartitioned()).rejects.toThrow(
        new RegExp(`not co-partitioned: ${escape(topics.records)} has 2 partitions, ${escape(other)} has 3`),
      );
    });

    it('keeps state per key across batches, with bigints exact, and counts records per partition', async () => {
      await send('sum', { op: 'add', amount: '9007199254740993' });
      await eventually(async () => (await outputsOf('sum')).length === 1, 'the first total');
      await send('sum', { op: 'add', amount: '2' });
      await eventually(async () => (await outputsOf('sum')).length === 2, 'the second total');
      expect((await outputsOf('sum')).map((output) => output.total)).toEqual(['9007199254740993', '9007199254740995']);
      const rows = await fixture.db.query<{ partition_state: string }>(
        `select partition_state from stream_partitions where processor = $1`,
        [definition.name],
      );
      const seen = rows.rows.map((row) => Number((JSON.parse(row.partition_state) as { seen?: { records?: string } }).seen?.records ?? 0));
      expect(seen.reduce((sum, count) => sum + count, 0)).toBe(2);
    });

    it('a watermark reaching a waiting record completes it, and its deadline is disarmed', async () => {
      await send('w1', { op: 'wait', eventTimeMs: 5_000 });
      await eventually(async () => (await stored('w1')) !== undefined, 'the wait stored');
      await watermark(4_999);
      await watermark(5_000);
      await eventually(async () => (await outputsOf('w1')).length === 1, 'the completion');
      expect(await outputsOf('w1')).toEqual([{ key: 'w1', outcome: 'complete', atMs: clock.nowMs() }]);
      clock.advance(graceMs);
      await runner.fireDueTimers();
      expect(await outputsOf('w1')).toHaveLength(1);
    });

    it('the timer worker fires a deadline with no new input, at its due time', async () => {
      const arrivalMs = clock.nowMs();
      await send('w2', { op: 'wait', eventTimeMs: 10_000_000 });
      await eventually(async () => (await stored('w2')) !== undefined, 'the wait stored');
      clock.advance(graceMs - 1);
      await runner.fireDueTimers();
      expect(await outputsOf('w2')).toEqual([]);
      clock.advance(1);
      await eventually(async () => (await runner.fireDueTimers()) === 0 && (await outputsOf('w2')).length === 1, 'the deadline');
      expect(await outputsOf('w2')).toEqual([{ key: 'w2', outcome: 'deadline', atMs: arrivalMs + graceMs }]);
    });

    it('a batch rolled back and run again gives one output and applies its state once', async () => {
      const event = await consumed(fixture, topics.records, 'once', { op: 'add', amount: '5' });
      await expect(
        handleInTransaction(fixture.db, { batchHandler: runner.handler }, event, () => Promise.reject(new Error('crash before commit'))),
      ).rejects.toThrow('crash before commit');
      expect(await stored('once')).toBeUndefined();
      await handleInTransaction(fixture.db, { batchHandler: runner.handler }, event);
      await eventually(async () => (await outputsOf('once')).length === 1, 'the output');
      expect(await outputsOf('once')).toEqual([{ key: 'once', total: '5' }]);
    });

    it('two runners on one partition are serialised by its lock: no update is lost', async () => {
      const other = new StreamRunner({ ...fixture.deps, clock, admin: fixture.admin }, definition);
      const first = await consumed(fixture, topics.records, 'locked', { op: 'add', amount: '1' });
      const second = await consumed(fixture, topics.records, 'locked', { op: 'add', amount: '10' });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let firstHolds!: () => void;
      const firstLocked = new Promise<void>((resolve) => (firstHolds = resolve));
      const one = handleInTransaction(fixture.db, { batchHandler: runner.handler }, first, async () => {
        firstHolds();
        await held;
      });
      await firstLocked;
      const two = handleInTransaction(fixture.db, { batchHandler: other.handler }, second);
      // On PostgreSQL, wait until the second transaction waits on the partition's row lock; PGlite
      // has one connection, so the second transaction waits for the first by construction.
      if (fixture.engine === 'kafka')
        await eventually(
          async () =>
            (
              await fixture.db.query<{ count: bigint }>(
                `select count(*)::int8 as count from pg_stat_activity where wait_event_type = 'Lock'`,
              )
            ).rows[0]!.count > 0n,
          'the second transaction waiting on the lock',
        );
      release();
      await Promise.all([one, two]);
      await eventually(async () => (await outputsOf('locked')).length === 2, 'both totals');
      expect((await outputsOf('locked')).map((output) => output.total)).toEqual(['1', '11']);
    });
  });
}

function testDefinition(
  name: string,
  topics: { records: string; watermarks: string; outputs: string },
): StreamProcessorDefinition<TestInput, TestOutput, { totals: Totals; seen: number }> {
  const totalsCodec: StoreCodec<Totals> = {
    encode: (value) => JSON.stringify({ total: value.total.toString(), waitingSinceMs: value.waitingSinceMs }),
    decode: (text) => {
      const json = JSON.parse(text) as { total: string; waitingSinceMs?: number };
      return { total: BigInt(json.total), ...(json.waitingSinceMs === undefined ? {} : { waitingSinceMs: json.waitingSinceMs }) };
    },
  };
  return {
    name,
    inputs: [
      {
        topic: topics.records,
        toInput: (event) => {
          const payload = event.payload as { op: string; eventTimeMs?: number; amount?: string };
          const value: TestInput =
            payload.op === 'wait' ? { op: 'wait', eventTimeMs: payload.eventTimeMs! } : { op: 'add', amount: BigInt(payload.amount!) };
          return { kind: 'record', key: event.envelope.key, value };
        },
      },
      {
        topic: topics.watermarks,
        toInput: (event) => ({ kind: 'watermark', watermarkMs: (event.payload as { watermark: number }).watermark }),
      },
    ],
    stores: {
      totals: { codec: totalsCodec },
      seen: { codec: { encode: String, decode: Number }, scope: 'partition' },
    },
    build: (stores): Processor<TestInput, TestOutput> => ({
      process(record, context) {
        stores.seen.put('records', (stores.seen.get('records') ?? 0) + 1);
        const totals = stores.totals.get(record.key) ?? { total: 0n };
        if (record.value.op === 'add') {
          totals.total += record.value.amount;
          context.emit({ key: record.key, total: totals.total });
        } else {
          totals.waitingSinceMs = record.arrivalMs;
          context.scheduleEventTime(record.key, 'complete', record.value.eventTimeMs);
          context.scheduleProcessingTime(record.key, 'deadline', record.arrivalMs + graceMs);
        }
        stores.totals.put(record.key, totals);
      },
      onTimer(timer, context) {
        const totals = stores.totals.get(timer.key);
        if (totals?.waitingSinceMs === undefined) return;
        context.cancel(timer.key, timer.name === 'complete' ? 'deadline' : 'complete');
        context.emit({ key: timer.key, outcome: timer.name === 'complete' ? 'complete' : 'deadline', atMs: context.nowMs() });
        stores.totals.put(timer.key, { total: totals.total });
      },
    }),
    toEvent: (output) => ({
      event: {
        topic: topics.outputs,
        eventType: 'Output',
        key: output.key,
        payload: 'total' in output ? { key: output.key, total: output.total.toString() } : output,
      },
      correlationId: output.key,
    }),
  };
}

/** An event as the consumer runner would hand it over, in its key's partition (not published: the test drives the handler). */
async function consumed(fixture: BackboneFixture, topic: string, key: string, payload: unknown): Promise<ConsumedEvent> {
  const encoder = new EventEncoder(fixture.deps.codec, fixture.deps.ids, fixture.deps.clock);
  const { envelope } = await encoder.encode({ topic, eventType: 'Op', key, payload }, { correlationId: key });
  return { envelope, payload, topic, partition: partitionForKey(Buffer.from(key), 2), offset: 0n, attempt: 0 };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
