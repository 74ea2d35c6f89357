import type { Database } from '../storage/database.ts';
import {
  topicPartitionKey,
  type LogRecord,
  type SubscribeOptions,
  type Subscription,
  type TopicPartition,
} from '../messaging/event-bus.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { decodeHeaders } from '../messaging/headers.ts';
import { tryAcquireSessionLock, type HeldSessionLock } from '../storage/session-lock.ts';
import { WakeSignal } from '../concurrency/wake-signal.ts';
import { GroupCommit } from '../concurrency/group-commit.ts';

export interface LogGroupMemberTimings {
  /** How often a standby tries to become the active member. */
  standbyRetryMs: number;
  /** Longest wait for new records without a notification (safety net for a lost NOTIFY). */
  idlePollMs: number;
  /** How often the active member checks its lock-holding session is alive. */
  livenessCheckMs: number;
}

interface StoredRecord {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: unknown;
  appended_at: Date;
}

/** A partition the active member owns: where it reads next, and whether a batch of it is being handled. */
interface OwnedPartition extends TopicPartition {
  position: bigint;
  busy: boolean;
}

/**
 * A member of a consumer group on the PostgreSQL log. It waits as a standby until it holds the
 * group's lock, then owns every partition of the subscribed topics and runs one loop for all of
 * them: read the next batch of every partition that has none being handled (one query), hand each
 * over (partitions concurrently, each one batch at a time), store the new positions (those that
 * finish while a store runs share the next statement: `GroupCommit`), and wait for an append or a
 * finished batch.
 */
export class LogGroupMember implements Subscription {
  readonly groupId: string;
  readonly closed: Promise<void>;
  readonly #db: Database;
  readonly #options: Required<Pick<SubscribeOptions, 'startFrom' | 'maxBatchRecords'>> & SubscribeOptions;
  readonly #timings: LogGroupMemberTimings;
  readonly #partitionCount: (topic: string) => Promise<number>;
  readonly #signals: Map<string, WakeSignal>;
  #assignment: TopicPartition[] = [];
  #stopping = false;
  #failure: unknown;
  #lock: HeldSessionLock | undefined;
  #readyResolve!: () => void;
  readonly #ready = new Promise<void>((resolve) => (this.#readyResolve = resolve));
  readonly #stopSignal = new WakeSignal();
  /** Woken by an append to a subscribed topic, a finished batch, a stop or a failure. */
  readonly #work = new WakeSignal();
  /** Positions stored as batches finish; those that finish while a store is running share the next one. */
  readonly #positions = new GroupCommit<TopicPartition & { position: bigint }, void>((positions) => this.#storePositions(positions));

  constructor(
    db: Database,
    options: SubscribeOptions,
    timings: LogGroupMemberTimings,
    partitionCount: (topic: string) => Promise<number>,
    signals: Map<string, WakeSignal>,
  ) {
    this.#db = db;
    this.groupId = options.groupId;
    this.#options = { startFrom: 'earliest', maxBatchRecords: 500, ...options };
    this.#timings = timings;
    this.#partitionCount = partitionCount;
    this.#signals = signals;
    this.closed = this.#run();
    // The caller learns of a failure through `closed`; keep an unobserved rejection from crashing.
    this.closed.catch(() => {});
  }

  assignment(): TopicPartition[] {
    return [...this.#assignment];
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  async close(): Promise<void> {
    this.#stopping = true;
    this.#stopSignal.wake();
    this.#work.wake();
    for (const signal of this.#signals.values()) signal.wake();
    await this.closed.catch(() => {});
  }

  async #run(): Promise<void> {
    try {
      this.#lock = await this.#becomeActive();
      if (!this.#lock) return;
      const partitions = await this.#assignedPartitions();
      const positions = await this.#startPositions(partitions);
      this.#assignment = partitions;
      this.#readyResolve();
      this.#lock.lost.then((error) => this.#fail(new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, error.message, { cause: error })));
      await this.#consume(partitions.map((tp) => ({ ...tp, position: positions.get(topicPartitionKey(tp))!, busy: false }))).catch(
        (error) => this.#fail(error),
      );
      if (this.#failure === undefined) await this.#options.onRevoked?.(partitions);
    } finally {
      this.#assignment = [];
      this.#readyResolve();
      await this.#lock?.release();
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #becomeActive(): Promise<HeldSessionLock | undefined> {
    while (!this.#stopping) {
      const lock = await tryAcquireSessionLock(this.#db, `log-group:${this.groupId}`, this.#timings.livenessCheckMs);
      if (lock) return lock;
      // A standby has its (empty) assignment: the group has settled as far as it is concerned.
      this.#readyResolve();
      await this.#stopSignal.wait(this.#stopSignal.generation, this.#timings.standbyRetryMs);
    }
    return undefined;
  }

  async #assignedPartitions(): Promise<TopicPartition[]> {
    const partitions: TopicPartition[] = [];
    for (const topic of this.#options.topics) {
      const count = await this.#partitionCount(topic);
      for (let partition = 0; partition < count; partition++) partitions.push({ topic, partition });
    }
    return partitions;
  }

  /** Positions from the caller's own store first, then the group's committed offsets, then startFrom. */
  async #startPositions(partitions: TopicPartition[]): Promise<Map<string, bigint>> {
    const fromCaller = (await this.#options.onAssigned?.(partitions)) ?? new Map<string, bigint>();
    const stored = await this.#db.query<{ topic: string; partition: number; next_offset: bigint }>(
      `select topic, partition, next_offset from log_group_offsets where group_id = $1 and topic = any($2::text[])`,
      [this.groupId, [...this.#options.topics]],
    );
    const committed = new Map(stored.rows.map((row) => [topicPartitionKey(row), row.next_offset]));
    const ends = await this.#db.query<{ topic: string; partition: number; next_offset: bigint }>(
      `select topic, partition, next_offset from log_partitions where topic = any($1::text[])`,
      [[...this.#options.topics]],
    );
    const latest = new Map(ends.rows.map((row) => [topicPartitionKey(row), row.next_offset]));
    const positions = new Map<string, bigint>();
    for (const tp of partitions) {
      const key = topicPartitionKey(tp);
      const fallback = this.#options.startFrom === 'latest' ? (latest.get(key) ?? 0n) : 0n;
      positions.set(key, fromCaller.get(key) ?? committed.get(key) ?? fallback);
    }
    return positions;
  }

  async #consume(partitions: OwnedPartition[]): Promise<void> {
    const work = this.#work;
    const unsubscribe = this.#options.topics.map((topic) => this.#signalOf(topic).onWake(() => work.wake()));
    const inFlight = new Set<Promise<void>>();
    try {
      while (!this.#stopping) {
        const seen = work.generation;
        const fetched = await this.#fetch(partitions.filter((p) => !p.busy));
        if (this.#stopping) break;
        this.#options.onPoll?.();
        for (const [partition, records] of fetched) {
          partition.busy = true;
          const delivery = this.#deliver(partition, records);
          inFlight.add(delivery);
          void delivery.finally(() => inFlight.delete(delivery));
        }
        // Returns at once if anything was appended, or a batch finished, since `seen`.
        await work.wait(seen, this.#timings.idlePollMs);
      }
    } finally {
      for (const stop of unsubscribe) stop();
      await Promise.allSettled([...inFlight]);
    }
  }

  /** Hands one partition's batch over, then stores the partition's new position. Never rejects. */
  async #deliver(partition: OwnedPartition, records: LogRecord[]): Promise<void> {
    try {
      await this.#options.handleBatch({ topic: partition.topic, partition: partition.partition, records });
      partition.position = records[records.length - 1]!.offset + 1n;
      await this.#positions.submit({ topic: partition.topic, partition: partition.partition, position: partition.position });
      partition.busy = false;
      this.#work.wake();
    } catch (error) {
      this.#fail(error);
    }
  }

  async #storePositions(positions: readonly (TopicPartition & { position: bigint })[]): Promise<void[]> {
    await this.#db.query(
      `insert into log_group_offsets (group_id, topic, partition, next_offset)
         select $1, topic, partition, next_offset from unnest($2::text[], $3::int[], $4::bigint[]) as p(topic, partition, next_offset)
         on conflict (group_id, topic, partition) do update set next_offset = excluded.next_offset, committed_at = now()`,
      [this.groupId, positions.map((p) => p.topic), positions.map((p) => p.partition), positions.map((p) => p.position.toString())],
    );
    return positions.map(() => undefined);
  }

  /** The next records of each of these partitions, up to `maxBatchRecords` each, in one query. */
  async #fetch(partitions: readonly OwnedPartition[]): Promise<Map<OwnedPartition, LogRecord[]>> {
    const fetched = new Map<OwnedPartition, LogRecord[]>();
    if (partitions.length === 0) return fetched;
    const result = await this.#db.query<StoredRecord & { topic: string; partition: number }>(
      `select p.topic, p.partition, r."offset", r.key, r.value, r.headers, r.appended_at
         from unnest($1::text[], $2::int[], $3::bigint[]) as p(topic, partition, position)
         cross join lateral (
           select "offset", key, value, headers, appended_at from log_records
            where topic = p.topic and partition = p.partition and "offset" >= p.position
            order by "offset" limit $4) r
        order by p.topic, p.partition, r."offset"`,
      [
        partitions.map((p) => p.topic),
        partitions.map((p) => p.partition),
        partitions.map((p) => p.position.toString()),
        this.#options.maxBatchRecords,
      ],
    );
    const byKey = new Map(partitions.map((p) => [topicPartitionKey(p), p]));
    for (const row of result.rows) {
      const partition = byKey.get(topicPartitionKey(row))!;
      const records = fetched.get(partition) ?? [];
      records.push({
        topic: row.topic,
        partition: row.partition,
        offset: row.offset,
        key: row.key,
        value: row.value,
        headers: decodeHeaders(row.headers),
        timestampMs: row.appended_at.getTime(),
      });
      fetched.set(partition, records);
    }
    return fetched;
  }

  #signalOf(topic: string): WakeSignal {
    let signal = this.#signals.get(topic);
    if (!signal) this.#signals.set(topic, (signal = new WakeSignal()));
    return signal;
  }

  #fail(error: unknown): void {
    if (this.#failure === undefined) this.#failure = error;
    this.#stopping = true;
    this.#stopSignal.wake();
    this.#work.wake();
    for (const signal of this.#signals.values()) signal.wake();
  }
}
