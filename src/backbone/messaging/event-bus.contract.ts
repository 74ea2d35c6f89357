/**
 * The one contract every EventBus engine must pass (Watermill's "universal tests"): run it with
 * `eventBusContract('kafka', makeHarness)` from an engine's `*.int.spec.ts`. Engines declare what
 * they support in `bus.capabilities`; tests of the other behaviour are not run for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { partitionForKey } from './partitioner.ts';
import {
  topicPartitionKey,
  type EventBus,
  type LogRecord,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.ts';

export interface EventBusHarness {
  bus: EventBus;
  /** Another, independent bus on the same engine: another process's view of the log. */
  openAnotherBus(): Promise<EventBus>;
  createTopic(name: string, partitions: number): Promise<void>;
  /**
   * Publishes `messages` in a way that holds the append open for `holdMs` before it becomes durable
   * (PostgreSQL: inside a transaction that sleeps before commit), to prove that a slow producer's
   * records are never skipped by a reader that went past them.
   */
  publishSlowly(bus: EventBus, messages: readonly OutgoingMessage[], holdMs: number): Promise<void>;
  close(): Promise<void>;
}

const waitTimeoutMs = 30_000;

export function eventBusContract(engine: string, makeHarness: () => Promise<EventBusHarness>): void {
  describe(`EventBus contract: ${engine}`, () => {
    let harness: EventBusHarness;
    let bus: EventBus;
    const open: Subscription[] = [];
    const extraBuses: EventBus[] = [];

    beforeAll(async () => {
      harness = await makeHarness();
      bus = harness.bus;
    });

    afterAll(async () => {
      await Promise.all(open.map((s) => s.close().catch(() => {})));
      await Promise.all(extraBuses.map((b) => b.close().catch(() => {})));
      await harness?.close();
    });

    async function topic(partitions = 3): Promise<string> {
      const name = `contract.t${randomUUID().slice(0, 8)}.v1`;
      await harness.createTopic(name, partitions);
      return name;
    }

    async function anotherBus(): Promise<EventBus> {
      const other = await harness.openAnotherBus();
      extraBuses.push(other);
      return other;
    }

    async function subscribe(target: EventBus, options: SubscribeOptions): Promise<Subscription> {
      const subscription = await target.subscribe(options);
      open.push(subscription);
      return subscription;
    }

    /** Subscribes and collects records until `count` arrived. */
    async function collect(target: EventBus, options: Omit<SubscribeOptions, 'handleBatch'>, count: number) {
      const records: LogRecord[] = [];
      let reached!: () => void;
      const done = new Promise<void>((resolve) => (reached = resolve));
      const subscription = await subscribe(target, {
        ...options,
        handleBatch: async (batch) => {
          records.push(...batch.records);
          if (records.length >= count) reached();
        },
      });
      return { records, subscription, done: withTimeout(done, `collecting ${count} records`) };
    }

    it('keeps order within a partition and places keys with the Java murmur2 partitioner', async () => {
      const name = await topic(4);
      const keys = Array.from({ length: 12 }, (_, i) => `account-${i}`);
      const messages = Array.from({ length: 600 }, (_, i) => message(name, keys[i % keys.length]!, `${i}`));
      await bus.publish(messages);
      const { records, done } = await collect(bus, { groupId: group(), topics: [name] }, messages.length);
      await done;
      expect(records).toHaveLength(messages.length);
      const lastSeqOfKey = new Map<string, number>();
      const lastOffsetOfPartition = new Map<number, bigint>();
      for (const record of records) {
        const key = record.key!.toString();
        const seq = Number(record.value!.toString());
        expect(seq).toBeGreaterThan(lastSeqOfKey.get(key) ?? -1);
        lastSeqOfKey.set(key, seq);
        expect(record.offset).toBeGreaterThan(lastOffsetOfPartition.get(record.partition) ?? -1n);
        lastOffsetOfPartition.set(record.partition, record.offset);
        expect(record.partition).toBe(partitionForKey(record.key!, 4));
        expect(await bus.partitionFor(name, record.key!)).toBe(record.partition);
      }
    });

    it('delivers every event to each of two groups', async () => {
      const name = await topic(2);
      const messages = Array.from({ length: 100 }, (_, i) => message(name, `k${i % 7}`, `${i}`));
      await bus.publish(messages);
      const first = await collect(bus, { groupId: group(), topics: [name] }, 100);
      const second = await collect(bus, { groupId: group(), topics: [name] }, 100);
      await Promise.all([first.done, second.done]);
      expect(sortedValues(first.records)).toEqual(sortedValues(second.records));
      expect(new Set(first.records.map((r) => r.value!.toString())).size).toBe(100);
    });

    it('carries headers, binary payloads and tombstones unchanged', async () => {
      const name = await topic(1);
      const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await bus.publish([
        {
          topic: name,
          key: Buffer.from([0, 255, 1]),
          value: allBytes,
          headers: { 'event-type': Buffer.from('x.y'), binary: Buffer.from([0, 1, 254, 255]) },
        },
        { topic: name, key: Buffer.from('tomb'), value: null },
      ]);
      const { records, done } = await collect(bus, { groupId: group(), topics: [name] }, 2);
      await done;
      expect(records[0]!.key).toEqual(Buffer.from([0, 255, 1]));
      expect(records[0]!.value).toEqual(allBytes);
      expect(records[0]!.headers['event-type']).toEqual(Buffer.from('x.y'));
      expect(records[0]!.headers['binary']).toEqual(Buffer.from([0, 1, 254, 255]));
      expect(records[1]!.value).toBeNull();
      expect(records[0]!.timestampMs).toBeGreaterThan(Date.now() - 600_000);
    });

    it('resumes from the committed position after a restart', async () => {
      const name = await topic(2);
      const groupId = group();
      await bus.publish(Array.from({ length: 50 }, (_, i) => message(name, `k${i % 5}`, `a${i}`)));
      const first = await collect(bus, { groupId, topics: [name] }, 50);
      await first.done;
      await first.subscription.close();
      await bus.publish(Array.from({ length: 30 }, (_, i) => message(name, `k${i % 5}`, `b${i}`)));
      const second = await collect(bus, { groupId, topics: [name] }, 30);
      await second.done;
      await settle();
      expect(second.records.map((r) => r.value!.toString()).every((v) => v.startsWith('b'))).toBe(true);
      expect(second.records).toHaveLength(30);
      const committed = await bus.committedOffsets(groupId, name);
      const ends = await bus.endOffsets(name);
      await second.subscription.close();
      expect([...(await bus.committedOffsets(groupId, name)).values()].reduce((a, b) => a + b, 0n)).toBe(80n);
      expect([...ends.values()].reduce((a, b) => a + b, 0n)).toBeGreaterThanOrEqual(80n);
      expect(committed.size).toBeGreaterThan(0);
    });

    it('redelivers a batch whose handler failed, and stops with the error', async () => {
      const name = await topic(1);
      const groupId = group();
      await bus.publish(Array.from({ length: 20 }, (_, i) => message(name, 'same', `${i}`)));
      const crash = new Error('handler crashed mid-batch');
      const seenBeforeCrash: string[] = [];
      const failing = await subscribe(bus, {
        groupId,
        topics: [name],
        handleBatch: async (batch) => {
          seenBeforeCrash.push(...batch.records.map((r) => r.value!.toString()));
          throw crash;
        },
      });
      await expect(withTimeout(failing.closed, 'failing subscription to stop')).rejects.toBe(crash);
      expect(seenBeforeCrash[0]).toBe('0');
      const again = await collect(bus, { groupId, topics: [name] }, 20);
      await again.done;
      expect(again.records.map((r) => r.value!.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `${i}`));
    });

    it('starts from the positions onAssigned returns', async () => {
      const name = await topic(1);
      await bus.publish(Array.from({ length: 10 }, (_, i) => message(name, 'k', `${i}`)));
      const { records, done } = await collect(
        bus,
        { groupId: group(), topics: [name], onAssigned: async (tps) => new Map(tps.map((tp) => [topicPartitionKey(tp), 7n])) },
        3,
      );
      await done;
      expect(records.map((r) => r.value!.toString())).toEqual(['7', '8', '9']);
    });

    it('starts from the end with startFrom latest', async () => {
      const name = await topic(1);
      await bus.publish([message(name, 'k', 'old')]);
      const { records, subscription, done } = await collect(bus, { groupId: group(), topics: [name], startFrom: 'latest' }, 1);
      await subscription.ready();
      await settle();
      await bus.publish([message(name, 'k', 'new')]);
      await done;
      expect(records.map((r) => r.value!.toString())).toEqual(['new']);
    });

    it('calls onPoll while the member polls, with records and without (a heartbeat)', async () => {
      const name = await topic(1);
      let polls = 0;
      const handled: string[] = [];
      const subscription = await bus.subscribe({
        groupId: group(),
        topics: [name],
        handleBatch: async (batch) => void handled.push(...batch.records.map((record) => record.value!.toString())),
        onPoll: () => void (polls += 1),
      });
      try {
        await subscription.ready();
        await eventually(() => polls >= 2, 'two polls of an empty topic');
        await bus.publish([message(name, 'k', 'v')]);
        await eventually(() => handled.length === 1, 'the record handled');
        const afterRecord = polls;
        await eventually(() => polls > afterRecord, 'polls going on after the record');
      } finally {
        await subscription.close();
      }
    });

    it('handles batches of thousands', async () => {
      const name = await topic(3);
      const messages = Array.from({ length: 5000 }, (_, i) => message(name, `k${i % 50}`, `${i}`));
      await bus.publish(messages);
      const { records, done } = await collect(bus, { groupId: group(), topics: [name], maxBatchRecords: 2000 }, 5000);
      await done;
      expect(new Set(records.map((r) => r.value!.toString())).size).toBe(5000);
    });

    it('never skips a record of a slow producer that commits after a faster one', async () => {
      const name = await topic(1);
      const { records, subscription, done } = await collect(bus, { groupId: group(), topics: [name] }, 60);
      await subscription.ready();
      // Slow appends hold their partition open while fast ones arrive: a reader going by offset
      // must still see every record once all are durable.
      const producers = Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? harness.publishSlowly(bus, [message(name, 'k', `slow${i}`), message(name, 'k', `slow${i}b`)], 50 + (i % 5) * 40)
          : bus.publish([message(name, 'k', `fast${i}`), message(name, 'k', `fast${i}b`)]),
      );
      await Promise.all(producers);
      await done;
      expect(new Set(records.map((r) => r.value!.toString())).size).toBe(60);
      const offsets = records.map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
    });

    describe('consumer groups', () => {
      it('splits partitions between the members of one group', async (context) => {
        if (!bus.capabilities.splitsPartitionsAcrossMembers) return context.skip('engine runs one active member per group');
        const name = await topic(4);
        const groupId = group();
        const seen: Array<{ member: string; record: LogRecord }> = [];
        const handler = (member: string) => async (batch: { records: LogRecord[] }) =>
          void seen.push(...batch.records.map((record) => ({ member, record })));
        const a = await subscribe(bus, { groupId, topics: [name], handleBatch: handler('a') });
        const b = await subscribe(await anotherBus(), { groupId, topics: [name], handleBatch: handler('b') });
        await Promise.all([a.ready(), b.ready()]);
        await eventually(
          () => a.assignment().length + b.assignment().length === 4 && a.assignment().length > 0 && b.assignment().length > 0,
          'both members to own partitions',
        );
        const owned = [...a.assignment(), ...b.assignment()].map(topicPartitionKey);
        expect(new Set(owned).size).toBe(4);
        await bus.publish(Array.from({ length: 200 }, (_, i) => message(name, `key-${i}`, `${i}`)));
        await eventually(() => seen.length >= 200, '200 records across both members');
        expect(new Set(seen.map((s) => s.record.value!.toString())).size).toBe(200);
        expect(new Set(seen.map((s) => s.member))).toEqual(new Set(['a', 'b']));
      });

      it('lets a standby take over when the active member dies, redelivering the uncommitted batch', async (context) => {
        if (!bus.capabilities.activeStandbyMembers) return context.skip('engine splits partitions instead');
        const name = await topic(2);
        const groupId = group();
        await bus.publish(Array.from({ length: 40 }, (_, i) => message(name, `k${i % 4}`, `${i}`)));
        const crash = new Error('active member died');
        const active = await subscribe(bus, { groupId, topics: [name], handleBatch: async () => Promise.reject(crash) });
        await active.ready();
        expect(active.assignment()).toHaveLength(2);
        const standby = await collect(await anotherBus(), { groupId, topics: [name] }, 40);
        await standby.subscription.ready();
        await expect(withTimeout(active.closed, 'active member to stop')).rejects.toBe(crash);
        await standby.done;
        expect(standby.subscription.assignment()).toHaveLength(2);
        expect(new Set(standby.records.map((r) => r.value!.toString())).size).toBe(40);
      });
    });
  });
}

let groupCounter = 0;
function group(): string {
  return `contract-group-${randomUUID().slice(0, 8)}-${groupCounter++}`;
}

function message(topic: string, key: string, value: string): OutgoingMessage {
  return { topic, key: Buffer.from(key), value: Buffer.from(value) };
}

function sortedValues(records: LogRecord[]): string[] {
  return records.map((r) => r.value!.toString()).sort();
}

/** Gives a consumer time to deliver anything it should not (used only before asserting absence). */
function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + waitTimeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(25);
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), waitTimeoutMs)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
