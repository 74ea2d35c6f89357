import { spawn } from 'node:child_process';
import { Admin } from '@platformatic/kafka';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithKafka, uniqueName } from '../../../test/support/engines.ts';
import { BackboneError } from '../errors.ts';
import {
  topicPartitionKey,
  type LogRecord,
  type RecordBatch,
  type SubscribeOptions,
  type Subscription,
  type TopicPartition,
} from '../messaging/event-bus.ts';
import { murmur2, partitionForKey } from '../messaging/partitioner.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import { eventually, TestTopics, testBrokers, testBusOptions } from './testing.ts';

describeWithKafka('KafkaEventBus', () => {
  let topics: TestTopics;
  let bus: KafkaEventBus;
  const toClose: Array<{ close(): Promise<void> }> = [];

  beforeAll(() => {
    topics = new TestTopics();
    bus = new KafkaEventBus(testBusOptions());
  });

  afterAll(async () => {
    await Promise.allSettled(toClose.reverse().map((c) => c.close()));
    await bus.close();
    await topics.close();
  });

  function anotherBus(): KafkaEventBus {
    const other = new KafkaEventBus(testBusOptions());
    toClose.push(other);
    return other;
  }

  async function subscribe(target: KafkaEventBus, options: SubscribeOptions): Promise<Subscription> {
    const subscription = await target.subscribe(options);
    toClose.push(subscription);
    return subscription;
  }

  it('round-trips keys, binary values, headers and tombstones', async () => {
    const topic = await topics.create(2);
    const binary = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256));
    await bus.publish([
      {
        topic,
        key: Buffer.from([0xff, 0x00, 0x80]),
        value: binary,
        headers: { 'content-type': Buffer.from('application/octet-stream'), trace: Buffer.from([0, 1, 2, 255]), empty: Buffer.alloc(0) },
      },
      { topic, key: Buffer.from([0xff, 0x00, 0x80]), value: null },
    ]);
    const records = await collect(bus, { groupId: group(), topics: [topic] }, 2);
    expect(records[0]!.key).toEqual(Buffer.from([0xff, 0x00, 0x80]));
    expect(records[0]!.value).toEqual(binary);
    expect(records[0]!.headers).toEqual({
      'content-type': Buffer.from('application/octet-stream'),
      trace: Buffer.from([0, 1, 2, 255]),
      empty: Buffer.alloc(0),
    });
    expect(records[1]!.value).toBeNull();
    expect(records[1]!.offset).toBe(records[0]!.offset + 1n);
  });

  it('places every key where the Java client would (murmur2 & 0x7fffffff), not where the library default would', async () => {
    const topic = await topics.create(7);
    const keys = Array.from({ length: 200 }, (_, i) => Buffer.from(`account-${i}`));
    // Keys whose murmur2 is negative are the ones the library's `>>> 0` puts elsewhere.
    expect(keys.some((k) => murmur2(k) < 0 && (murmur2(k) >>> 0) % 7 !== (murmur2(k) & 0x7fffffff) % 7)).toBe(true);
    await bus.publish(keys.map((key) => ({ topic, key, value: Buffer.from('v') })));
    const records = await collect(bus, { groupId: group(), topics: [topic] }, keys.length);
    for (const record of records) expect(record.partition).toBe(partitionForKey(record.key!, 7));
    expect(new Set(records.map((r) => r.partition)).size).toBe(7);
  });

  it('resolves concurrent publishes and keeps each call in order within its partition', async () => {
    const topic = await topics.create(3);
    await Promise.all(
      Array.from({ length: 20 }, (_, call) =>
        bus.publish(Array.from({ length: 25 }, (_, i) => ({ topic, key: Buffer.from(`k${call}`), value: Buffer.from(`${call}:${i}`) }))),
      ),
    );
    const records = await collect(bus, { groupId: group(), topics: [topic] }, 500);
    const lastOfCall = new Map<string, number>();
    for (const r of records) {
      const [call, i] = r.value!.toString().split(':');
      expect(Number(i)).toBe((lastOfCall.get(call!) ?? -1) + 1);
      lastOfCall.set(call!, Number(i));
    }
  });

  it('redelivers the batch of a member that crashed before its handler resolved', async () => {
    const topic = await topics.create(1);
    const groupId = group();
    await bus.publish(Array.from({ length: 10 }, (_, i) => ({ topic, key: Buffer.from('k'), value: Buffer.from(`${i}`) })));
    const fixture = fileURLToPath(new URL('../../../test/support/crashing-member.ts', import.meta.url));
    const child = spawn(process.execPath, [fixture, testBrokers().join(','), groupId, topic], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const seenByCrashed = JSON.parse(line.toString().split('\n')[0]!) as { offsets: string[] };
    expect(seenByCrashed.offsets[0]).toBe('0');
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(await bus.committedOffsets(groupId, topic)).toEqual(new Map());
    // The dead member still holds the partition until its 2 s session times out.
    const again = await collect(bus, { groupId, topics: [topic] }, 10);
    expect(again.map((r) => r.value!.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `${i}`));
  });

  it('lets the in-flight batch finish and commit on close, so it is not delivered again', async () => {
    const topic = await topics.create(1);
    const groupId = group();
    await bus.publish(Array.from({ length: 5 }, (_, i) => ({ topic, key: Buffer.from('k'), value: Buffer.from(`${i}`) })));
    const gate = Promise.withResolvers<void>();
    const started = Promise.withResolvers<RecordBatch>();
    const subscription = await subscribe(bus, {
      groupId,
      topics: [topic],
      handleBatch: async (batch) => (started.resolve(batch), gate.promise),
    });
    const batch = await started.promise;
    const closing = subscription.close();
    setTimeout(() => gate.resolve(), 200);
    await closing;
    expect((await bus.committedOffsets(groupId, topic)).get(0)).toBe(batch.records.at(-1)!.offset + 1n);
    const later: LogRecord[] = [];
    const next = await subscribe(bus, { groupId, topics: [topic], handleBatch: async (b) => void later.push(...b.records) });
    await next.ready();
    await sleep(500);
    expect(later.map((r) => r.offset)).toEqual(
      Array.from({ length: 5 - batch.records.length }, (_, i) => BigInt(batch.records.length + i)),
    );
  });

  it('starts each partition at the position onAssigned returns, else at the committed offset, else at startFrom', async () => {
    const topic = await topics.create(3);
    const groupId = group();
    for (let p = 0; p < 3; p++)
      await bus.publish(Array.from({ length: 10 }, (_, i) => ({ topic, key: keyFor(p, 3, i), value: Buffer.from(`${p}:${i}`) })));
    // Partition 1 has a committed offset of 4 (as if an earlier member had handled 0..3).
    const admin = new Admin({ clientId: 'paystream-test', bootstrapBrokers: testBrokers() });
    await admin.alterConsumerGroupOffsets({ groupId, topics: [{ name: topic, partitionOffsets: [{ partition: 1, offset: 4n }] }] });
    await admin.close();
    const assigned: TopicPartition[][] = [];
    const records = await collect(
      bus,
      {
        groupId,
        topics: [topic],
        onAssigned: async (tps) => (assigned.push([...tps]), new Map([[topicPartitionKey({ topic, partition: 0 }), 7n]])),
      },
      3 + 6 + 10,
    );
    expect(assigned[0]).toEqual([0, 1, 2].map((partition) => ({ topic, partition })));
    const valuesOf = (p: number) => records.filter((r) => r.partition === p).map((r) => r.value!.toString());
    expect(valuesOf(0)).toEqual(['0:7', '0:8', '0:9']);
    expect(valuesOf(1)).toEqual([4, 5, 6, 7, 8, 9].map((i) => `1:${i}`));
    expect(valuesOf(2)).toEqual(Array.from({ length: 10 }, (_, i) => `2:${i}`));
  });

  it('splits partitions between two members, which together see every record exactly once', async () => {
    const topic = await topics.create(6);
    const groupId = group();
    const seen: Array<{ member: string; record: LogRecord }> = [];
    const handler = (member: string) => async (batch: RecordBatch) =>
      void seen.push(...batch.records.map((record) => ({ member, record })));
    const a = await subscribe(bus, { groupId, topics: [topic], handleBatch: handler('a') });
    const b = await subscribe(anotherBus(), { groupId, topics: [topic], handleBatch: handler('b') });
    await eventually(() => a.assignment().length === 3 && b.assignment().length === 3, 'a 3/3 split');
    expect(new Set([...a.assignment(), ...b.assignment()].map(topicPartitionKey)).size).toBe(6);
    await bus.publish(Array.from({ length: 600 }, (_, i) => ({ topic, key: Buffer.from(`key-${i}`), value: Buffer.from(`${i}`) })));
    await eventually(() => seen.length >= 600, '600 records');
    await sleep(300);
    expect(seen).toHaveLength(600);
    expect(new Set(seen.map((s) => s.record.value!.toString())).size).toBe(600);
    const owner = new Map([
      ...a.assignment().map((tp) => [tp.partition, 'a'] as const),
      ...b.assignment().map((tp) => [tp.partition, 'b'] as const),
    ]);
    for (const s of seen) expect(s.member).toBe(owner.get(s.record.partition));
  });

  it('moves partitions on join and leave without redelivering anything committed', async () => {
    const topic = await topics.create(4);
    const groupId = group();
    const total = 3000;
    const seen: Array<{ member: string; value: string; partition: number }> = [];
    const revocationChecks: boolean[] = [];
    const lastHandled = new Map<string, bigint>();
    const member = (name: string, target: KafkaEventBus): SubscribeOptions => ({
      groupId,
      topics: [topic],
      maxBatchRecords: 20,
      handleBatch: async (batch) => {
        await sleep(2);
        seen.push(...batch.records.map((r) => ({ member: name, value: r.value!.toString(), partition: r.partition })));
        lastHandled.set(`${name}:${batch.partition}`, batch.records.at(-1)!.offset);
      },
      // By the time a partition is revoked, its last handled batch must be committed.
      onRevoked: async (tps) => {
        const committed = await target.committedOffsets(groupId, topic);
        for (const tp of tps) {
          const last = lastHandled.get(`${name}:${tp.partition}`);
          if (last !== undefined) revocationChecks.push(committed.get(tp.partition) === last + 1n);
        }
      },
    });
    const producing = (async () => {
      for (let i = 0; i < total; i += 50) {
        await bus.publish(
          Array.from({ length: 50 }, (_, j) => ({ topic, key: Buffer.from(`key-${(i + j) % 97}`), value: Buffer.from(`${i + j}`) })),
        );
        await sleep(10);
      }
    })();
    const busA = anotherBus();
    const a = await subscribe(busA, member('a', busA));
    await eventually(() => seen.length > 300, 'a to consume');
    const busB = anotherBus();
    const b = await subscribe(busB, member('b', busB));
    await eventually(() => b.assignment().length === 2 && seen.some((s) => s.member === 'b'), 'b to take two partitions');
    const countAtLeave = seen.length;
    await eventually(() => seen.length > countAtLeave + 300, 'both to consume');
    await a.close();
    await producing;
    await eventually(() => seen.length >= total, `all ${total} records`);
    await sleep(500);
    expect(b.assignment()).toHaveLength(4);
    const values = seen.map((s) => s.value);
    expect(new Set(values).size).toBe(total);
    expect(values.length - new Set(values).size).toBe(0);
    expect(revocationChecks.length).toBeGreaterThan(0);
    expect(revocationChecks.every(Boolean)).toBe(true);
  });

  // Regression: the library's own commit, refused because the member had been removed from the
  // group, rejoined and sent the same offset again under the new generation, moving the group's
  // position backwards (records delivered again). Commits are refused for good now.
  it('never moves the position backwards when a member outlives the rebalance timeout in its handler', async () => {
    const topic = await topics.create(1);
    const groupId = group();
    await bus.publish(Array.from({ length: 40 }, (_, i) => ({ topic, key: Buffer.from('k'), value: Buffer.from(`${i}`) })));
    const slowBus = new KafkaEventBus(testBusOptions({ sessionTimeoutMs: 2_000, rebalanceTimeoutMs: 2_000 }));
    toClose.push(slowBus);
    const deliveries: string[] = [];
    const slowStarted = Promise.withResolvers<void>();
    let slowDone = false;
    await subscribe(slowBus, {
      groupId,
      topics: [topic],
      maxBatchRecords: 5,
      handleBatch: async (batch) => {
        if (!slowDone) {
          slowStarted.resolve();
          await sleep(4_000);
          slowDone = true;
        }
        deliveries.push(...batch.records.map((r) => r.value!.toString()));
      },
    });
    await slowStarted.promise;
    // The second member's join starts a rebalance the slow member cannot answer in time.
    await subscribe(anotherBus(), {
      groupId,
      topics: [topic],
      handleBatch: async (batch) => void deliveries.push(...batch.records.map((r) => r.value!.toString())),
    });
    await eventually(() => slowDone && new Set(deliveries).size === 40, 'all 40 records, and the slow batch to end', 20_000);
    await sleep(2_000);
    expect((await bus.committedOffsets(groupId, topic)).get(0)).toBe(40n);
    // The slow batch (5 records) is handled twice: by its member and by the partition's next owner. Nothing else is.
    expect(deliveries.length).toBe(45);
  });

  it('hands the partitions of a member whose handler failed to the other member, from the failed batch on', async () => {
    const topic = await topics.create(2);
    const groupId = group();
    const crash = new Error('handler failed');
    const failing = await subscribe(bus, {
      groupId,
      topics: [topic],
      handleBatch: async (batch) => (batch.records.some((r) => r.value!.toString() === '30') ? Promise.reject(crash) : undefined),
    });
    const seenBySurvivor: LogRecord[] = [];
    const survivor = await subscribe(anotherBus(), {
      groupId,
      topics: [topic],
      handleBatch: async (batch) => void seenBySurvivor.push(...batch.records),
    });
    await eventually(() => failing.assignment().length === 1 && survivor.assignment().length === 1, 'a 1/1 split');
    await bus.publish(
      Array.from({ length: 40 }, (_, i) => ({ topic, key: keyFor(failing.assignment()[0]!.partition, 2, i), value: Buffer.from(`${i}`) })),
    );
    await expect(failing.closed).rejects.toBe(crash);
    await eventually(() => survivor.assignment().length === 2, 'the survivor to own both partitions');
    await eventually(() => seenBySurvivor.some((r) => r.value!.toString() === '39'), 'the survivor to reach the last record');
    const values = seenBySurvivor.map((r) => Number(r.value!.toString()));
    // It starts at the failed batch (or earlier: whatever the failed member had not committed), and misses nothing after.
    expect(Math.min(...values)).toBeLessThanOrEqual(30);
    expect(values.slice(values.indexOf(Math.min(...values)))).toEqual(
      Array.from({ length: 40 - Math.min(...values) }, (_, i) => Math.min(...values) + i),
    );
  });

  it('reports BROKER_UNAVAILABLE, retryable, when no broker answers', async () => {
    const down = new KafkaEventBus({
      bootstrapBrokers: ['127.0.0.1:1'],
      connectTimeoutMs: 200,
      retries: 1,
      retryDelayMs: 50,
      brokerUnavailableTimeoutMs: 500,
    });
    toClose.push(down);
    const published = down.publish([{ topic: 'nowhere.v1', key: Buffer.from('k'), value: null }]);
    await expect(published).rejects.toBeInstanceOf(BackboneError);
    await expect(published).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true });
    await expect(down.subscribe({ groupId: group(), topics: ['nowhere.v1'], handleBatch: async () => {} })).rejects.toMatchObject({
      code: 'BROKER_UNAVAILABLE',
      retryable: true,
    });
  });

  it('refuses to publish to a topic that does not exist', async () => {
    await expect(bus.publish([{ topic: TestTopics.uniqueName('missing'), key: Buffer.from('k'), value: null }])).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });

  /** Subscribes, waits for `count` records, closes. */
  async function collect(target: KafkaEventBus, options: Omit<SubscribeOptions, 'handleBatch'>, count: number): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    const subscription = await subscribe(target, { ...options, handleBatch: async (batch) => void records.push(...batch.records) });
    await eventually(() => records.length >= count, `${count} records`);
    await subscription.close();
    return records;
  }
});

function group(): string {
  return uniqueName('kafka-bus-test');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A key that lands in `partition` of a `count`-partition topic. */
function keyFor(partition: number, count: number, salt: number): Buffer {
  for (let i = 0; ; i++) {
    const key = Buffer.from(`p${partition}-${salt}-${i}`);
    if (partitionForKey(key, count) === partition) return key;
  }
}
