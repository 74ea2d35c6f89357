/**
 * The batch processor's cost: on each path a batch is written in a fixed number of statements and
 * transactions, however many events it carries (the consumer's throughput rests on it; see ADR-8).
 * Driven directly on the embedded engine, with every statement counted by `observedDatabase`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { embeddedFixture, type BackboneFixture } from '../testing/embedded-fixture.ts';
import { observedDatabase } from '../testing/observed-database.ts';
import { permanentError, transientError } from '../errors.ts';
import { retryTopicOf } from '../topics/topic-naming.ts';
import { BatchProcessor, type BatchProcessorOptions } from './batch-processor.ts';
import { perEvent, type EventHandler } from './handler.ts';
import type { LogRecord } from '../messaging/event-bus.ts';

describe('BatchProcessor statements per batch', () => {
  let fx: BackboneFixture;
  let events: string;
  let results: string;

  beforeEach(async () => {
    fx = await embeddedFixture();
    events = fx.topicName('events');
    results = fx.topicName('results');
    await fx.createTopic(events, 1, [1]);
    await fx.createTopic(results, 1);
  });

  afterEach(() => fx.close());

  type Payload = { key: string; seq: number };
  const event = (key: string, seq: number) => ({ topic: events, eventType: 'test.event', key, payload: { key, seq } });

  /** A processor whose statements and transactions are counted, its handler run per event. */
  function counted(handler: EventHandler, options: Partial<BatchProcessorOptions> = {}) {
    const counts = { statements: 0, transactions: 0 };
    const db = observedDatabase(fx.db, { onStatement: () => counts.statements++, onTransaction: () => counts.transactions++ });
    const processor = new BatchProcessor(
      { ...fx.deps, db },
      {
        consumer: 'counted',
        positionsOwner: 'counted',
        handler: perEvent(handler),
        retry: { mode: 'blocking', delaysMs: [1] },
        readsRetryTiers: false,
        signal: new AbortController().signal,
        ...options,
      },
    );
    /** The statements and transactions `process` spent on `records` (one partition's batch). */
    const measure = async (records: LogRecord[]) => {
      counts.statements = 0;
      counts.transactions = 0;
      await processor.process({ topic: records[0]!.topic, partition: records[0]!.partition, records });
      return { ...counts };
    };
    return { processor, measure };
  }

  /** Publishes `sizes.length` batches of events of `key` and returns each batch's records. */
  async function batches(key: string, sizes: readonly number[], topic = events): Promise<LogRecord[][]> {
    let seq = 0;
    for (const size of sizes) await fx.publish(Array.from({ length: size }, () => event(key, seq++)));
    const records = (await fx.records(topic)).filter((record) => record.key?.toString() === key);
    let start = 0;
    return sizes.map((size) => records.slice(start, (start += size)));
  }

  const seqOf = (payload: unknown) => (payload as Payload).seq;

  it('the fast path (each event emitting one, an undecodable record, a duplicate): one transaction, the same statements for 3 events as for 40', async () => {
    const [warmUp, small, large] = await batches('k', [2, 3, 40]);
    const { measure } = counted(async (e, { emit }) =>
      emit({ topic: results, eventType: 'test.result', key: 'k', payload: { seq: seqOf(e.payload) } }),
    );
    const spoiled = (records: LogRecord[]) => [...records.slice(0, -1), { ...records.at(-1)!, value: Buffer.from('not json') }];
    await measure(spoiled(warmUp!));
    // The first event of the batch again, at its own offset: dropped by its id.
    const withDuplicate = (records: LogRecord[]) =>
      records.map((record, index) => (index === 1 ? { ...record, headers: records[0]!.headers, value: records[0]!.value } : record));
    const costSmall = await measure(spoiled(withDuplicate(small!)));
    const costLarge = await measure(spoiled(withDuplicate(large!)));
    expect(costLarge).toEqual(costSmall);
    // The positions and processed ids (1), the emitted events and the dead letter (1), the positions and ids (1).
    expect(costSmall).toEqual({ statements: 3, transactions: 1 });
  });

  it('applyTogether: the batches of several partitions in one transaction of three statements', async () => {
    const [w1, w2, a1, a2, b1, b2] = await batches('k', [1, 1, 3, 3, 20, 20]);
    const counts = { statements: 0, transactions: 0 };
    const db = observedDatabase(fx.db, { onStatement: () => counts.statements++, onTransaction: () => counts.transactions++ });
    const together = new BatchProcessor(
      { ...fx.deps, db },
      {
        consumer: 'together',
        positionsOwner: 'together',
        handler: perEvent(async (e, { emit }) =>
          emit({ topic: results, eventType: 'test.result', key: 'k', payload: { seq: seqOf(e.payload) } }),
        ),
        retry: { mode: 'blocking', delaysMs: [] },
        readsRetryTiers: false,
        signal: new AbortController().signal,
      },
    );
    // The same records read as two partitions' batches (a partition number the log never checks here).
    const asPartition = (records: LogRecord[], partition: number) => ({
      topic: events,
      partition,
      records: records.map((record) => ({ ...record, partition })),
    });
    await together.applyTogether([asPartition(w1!, 0), asPartition(w2!, 1)]);
    counts.statements = 0;
    counts.transactions = 0;
    await together.applyTogether([asPartition(a1!, 0), asPartition(a2!, 1)]);
    const small = { ...counts };
    counts.statements = 0;
    counts.transactions = 0;
    await together.applyTogether([asPartition(b1!, 0), asPartition(b2!, 1)]);
    expect(counts).toEqual(small);
    // The positions and processed ids (1), the emitted events (1), the positions and ids (1).
    expect(small).toEqual({ statements: 3, transactions: 1 });
  });

  it('a permanent failure in the middle: the same statements for a batch of 3 as for 40', async () => {
    const [warmUp, small, large] = await batches('k', [3, 3, 40]);
    const failing = new Set([warmUp![1]!, small![1]!, large![20]!].map((record) => record.offset));
    const { measure } = counted(async (e) => {
      if (failing.has(e.offset)) throw permanentError('refused');
    });
    await measure(warmUp!);
    const costSmall = await measure(small!);
    const costLarge = await measure(large!);
    expect(costLarge).toEqual(costSmall);
    // The whole batch rolled back (1), the events before (2), the failing one rolled back (1), its dead letter (3), the rest (2).
    expect(costSmall).toEqual({ statements: 9, transactions: 5 });
  });

  it('a blocking retry that succeeds on the second attempt: the same statements for a batch of 3 as for 40', async () => {
    const [small, large] = await batches('k', [3, 40]);
    // Fails on its first delivery, alone or in the batch; its retry (attempt 1) succeeds.
    const { measure } = counted(async (e) => {
      if ((e.offset === small![1]!.offset || e.offset === large![20]!.offset) && e.attempt === 0)
        throw transientError('core banking timed out');
    });
    const costSmall = await measure(small!);
    const costLarge = await measure(large!);
    expect(costLarge).toEqual(costSmall);
    // The whole batch rolled back (1), the events before (2), the failing one rolled back (1), its retry (2), the rest (2).
    expect(costSmall).toEqual({ statements: 8, transactions: 5 });
  });

  it('non-blocking retry parks the events of a parked key: the same statements for 3 events as for 40', async () => {
    const [head, small, large] = await batches('k', [1, 3, 40]);
    const { measure } = counted(
      async (e) => {
        if (e.offset === head![0]!.offset) throw transientError('fraud engine timed out');
      },
      { retry: { mode: 'non-blocking', delaysMs: [1] } },
    );
    // The head fails: its key is parked and it goes to the retry tier.
    await measure(head!);
    const costSmall = await measure(small!);
    const costLarge = await measure(large!);
    expect(costLarge).toEqual(costSmall);
    // The positions, processed ids and parked keys (1), the parked events (1), the position (1).
    expect(costSmall).toEqual({ statements: 3, transactions: 1 });
    const parked = await fx.db.query(`select 1 from consumer_parked_events where consumer = 'counted'`);
    expect(parked.rows).toHaveLength(43);
  });

  it('the retry tier applies a head and releases the next parked event of its key in five statements', async () => {
    const [head, behind] = await batches('k', [1, 2]);
    const { measure: main } = counted(
      async (e) => {
        if (e.offset === head![0]!.offset) throw transientError('fraud engine timed out');
      },
      { retry: { mode: 'non-blocking', delaysMs: [1] } },
    );
    await main(head!);
    await main(behind!);
    const { measure: tier } = counted(async () => {}, {
      retry: { mode: 'non-blocking', delaysMs: [1] },
      readsRetryTiers: true,
      positionsOwner: 'counted.retry',
    });
    const retryTopic = retryTopicOf(events, 1);
    // The head from the tier: applied, and the first event behind it released to the tier.
    const first = await fx.records(retryTopic);
    expect(first).toHaveLength(1);
    const cost = await tier(first);
    expect(cost).toEqual({ statements: 5, transactions: 1 });
    const released = await fx.records(retryTopic);
    expect(released).toHaveLength(2);
  });

  it('a retry tier whose due records fail behind the first applies the first and dead-letters the other, instead of trying the same run again and again', async () => {
    const [a] = await batches('a', [1]);
    const [b] = await batches('b', [1]);
    const { measure: main } = counted(
      async (e) => {
        if (e.attempt === 0) throw transientError('fraud engine timed out');
      },
      { retry: { mode: 'non-blocking', delaysMs: [1] } },
    );
    await main([a![0]!, b![0]!]);
    const retryTopic = retryTopicOf(events, 1);
    const due = await fx.records(retryTopic);
    expect(due.map((record) => record.key?.toString())).toEqual(['a', 'b']);
    // Stops the processor (as a shutdown would) should it keep handing the run over.
    const stop = new AbortController();
    let calls = 0;
    const { measure: tier } = counted(
      async (e) => {
        if (++calls > 20) stop.abort();
        if ((e.payload as Payload).key === 'b') throw permanentError('account closed');
      },
      { retry: { mode: 'non-blocking', delaysMs: [1] }, readsRetryTiers: true, positionsOwner: 'counted.retry', signal: stop.signal },
    );
    await tier(due);
    expect(calls).toBeLessThanOrEqual(4);
    const letters = await fx.records(`${events}.dlq`);
    expect(letters.map((record) => record.key?.toString())).toEqual(['b']);
  });
});
