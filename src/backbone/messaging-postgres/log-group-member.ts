import type { Database } from '../storage/database.ts';
import { topicPartitionKey, type LogRecord, type SubscribeOptions, type Subscription, type TopicPartition } from '../messaging/event-bus.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { decodeHeaders } from '../messaging/headers.ts';
import { tryAcquireSessionLock, type HeldSessionLock } from '../storage/session-lock.ts';
import { WakeSignal } from '../concurrency/wake-signal.ts';

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

/**
 * A member of a consumer group on the PostgreSQL log. It waits as a standby until it holds the
 * group's lock, then owns every partition of the subscribed topics and runs one loop per
 * partition: read the next batch from the group's position, hand it over, store the new position.
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
      await Promise.all(
        partitions.map((tp) => this.#consumePartition(tp, positions.get(topicPartitionKey(tp))!).catch((error) => this.#fail(error))),
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

  async #consumePartition(tp: TopicPartition, startOffset: bigint): Promise<void> {
    let position = startOffset;
    const signal = this.#signals.get(tp.topic) ?? new WakeSignal();
    this.#signals.set(tp.topic, signal);
    while (!this.#stopping) {
      const seen = signal.generation;
      const records = await this.#fetch(tp, position);
      if (this.#stopping) return;
      if (records.length === 0) {
        await signal.wait(seen, this.#timings.idlePollMs);
        continue;
      }
      try {
        await this.#options.handleBatch({ topic: tp.topic, partition: tp.partition, records });
      } catch (error) {
        this.#fail(error);
        return;
      }
      position = records[records.length - 1]!.offset + 1n;
      await this.#db.query(
        `insert into log_group_offsets (group_id, topic, partition, next_offset) values ($1, $2, $3, $4)
           on conflict (group_id, topic, partition) do update set next_offset = excluded.next_offset, committed_at = now()`,
        [this.groupId, tp.topic, tp.partition, position],
      );
    }
  }

  async #fetch(tp: TopicPartition, position: bigint): Promise<LogRecord[]> {
    const result = await this.#db.query<StoredRecord>(
      `select "offset", key, value, headers, appended_at from log_records
         where topic = $1 and partition = $2 and "offset" >= $3 order by "offset" limit $4`,
      [tp.topic, tp.partition, position, this.#options.maxBatchRecords],
    );
    return result.rows.map((row) => ({
      topic: tp.topic,
      partition: tp.partition,
      offset: row.offset,
      key: row.key,
      value: row.value,
      headers: decodeHeaders(row.headers),
      timestampMs: row.appended_at.getTime(),
    }));
  }

  #fail(error: unknown): void {
    if (this.#failure === undefined) this.#failure = error;
    this.#stopping = true;
    this.#stopSignal.wake();
    for (const signal of this.#signals.values()) signal.wake();
  }
}
