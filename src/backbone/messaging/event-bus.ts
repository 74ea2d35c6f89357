/**
 * The event bus port: a partitioned, durable, replayable log with consumer groups.
 *
 * Two engines implement it: Apache Kafka (`messaging-kafka/`) and a log in PostgreSQL tables
 * (`messaging-postgres/`, on a PostgreSQL server or on PGlite). Both pass the one contract suite in
 * `event-bus.contract.ts`; each declares what it supports in `capabilities`.
 *
 * Nothing here knows what a payment is, nor how payloads are encoded: keys, values and header
 * values are bytes.
 */
export interface EventBus {
  readonly engine: 'kafka' | 'postgres';
  readonly capabilities: EventBusCapabilities;

  /**
   * Appends messages to their topics. Resolves once every message is durable (Kafka: acknowledged by
   * all in-sync replicas, acks=all; PostgreSQL: committed). Messages of one call that land in the
   * same partition keep their order; a retried call may duplicate messages (at-least-once), never
   * reorder them within a partition. Safe to call concurrently.
   */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;

  /**
   * The partition a key lands in: murmur2 of the key bytes, positive, modulo the partition count:
   * the Java client's default partitioner, so every Kafka client in the estate agrees on it.
   */
  partitionFor(topic: string, key: Buffer): Promise<number>;

  /**
   * Joins consumer group `groupId` and delivers the records of `topics` to `handleBatch`.
   *
   * Guarantees:
   * - Each partition is owned by at most one member of the group at a time (Kafka: the group
   *   coordinator splits partitions between members; PostgreSQL: one member holds every partition,
   *   the others wait as hot standbys and take over when it goes).
   * - Within a partition, batches are delivered one at a time, in offset order, and a batch is not
   *   delivered until the previous one's handler resolved. Batches of different partitions may be
   *   handled concurrently.
   * - When `handleBatch` resolves, the group's committed position of that partition moves past the
   *   batch. If the process dies first, the batch is delivered again (at-least-once).
   * - If `handleBatch` rejects, nothing of that batch is committed and the subscription stops with
   *   that error (see `Subscription.closed`).
   */
  subscribe(options: SubscribeOptions): Promise<Subscription>;

  /** The offset the next record appended to each partition will get (the high watermark). */
  endOffsets(topic: string): Promise<Map<number, bigint>>;

  /** The group's committed positions (next offset to read) for the partitions of `topic` it has any. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>>;

  /** Flushes what is being published, closes subscriptions and connections. */
  close(): Promise<void>;
}

export interface EventBusCapabilities {
  /** Members of one group split the partitions between them (Kafka). */
  readonly splitsPartitionsAcrossMembers: boolean;
  /** One member of a group is active; others stand by and take over when it goes (PostgreSQL log). */
  readonly activeStandbyMembers: boolean;
}

/** Header values are bytes; names are unique per message. */
export type MessageHeaders = Record<string, Buffer>;

export interface OutgoingMessage {
  topic: string;
  /** Chooses the partition (see `partitionFor`); records of one key keep their order. */
  key: Buffer;
  /** `null` is a tombstone, for compacted topics. */
  value: Buffer | null;
  headers?: MessageHeaders;
}

export interface LogRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: MessageHeaders;
  /** When the log appended the record (milliseconds since the epoch). */
  timestampMs: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface RecordBatch extends TopicPartition {
  /** One or more records of one partition, in offset order, without gaps the log did not have. */
  records: LogRecord[];
}

export interface SubscribeOptions {
  groupId: string;
  topics: readonly string[];
  /**
   * Where to start in a partition for which neither `onAssigned` nor the group has a position.
   * Default `earliest`.
   */
  startFrom?: 'earliest' | 'latest';
  /** Upper bound on the records of one batch. Default 500. */
  maxBatchRecords?: number;
  /**
   * Called when the member is given partitions, before any of their records is delivered. It may
   * return positions (the next offset to read, keyed by `topicPartitionKey`) that take precedence
   * over the group's committed offsets: a consumer that stores its positions in its own database,
   * in the same transaction as its effects, resumes from there.
   */
  onAssigned?(partitions: readonly TopicPartition[]): Promise<ReadonlyMap<string, bigint> | void>;
  /** Called when partitions are taken away, after their in-flight batches finished. */
  onRevoked?(partitions: readonly TopicPartition[]): Promise<void>;
  handleBatch(batch: RecordBatch): Promise<void>;
  /**
   * Called after every fetch from the log, whether it brought records or not: the member's poll
   * loop is alive (a consumer's heartbeat). Must return at once and never throw. A member with no
   * partitions to fetch (a standby) does not poll.
   */
  onPoll?(): void;
}

export interface Subscription {
  readonly groupId: string;
  /** The partitions this member owns right now. */
  assignment(): TopicPartition[];
  /**
   * Resolves once the member received its first assignment (possibly empty for a standby) so tests
   * and callers can wait for the group to settle.
   */
  ready(): Promise<void>;
  /**
   * Graceful shutdown: stops fetching, lets in-flight batches finish and commit, leaves the group.
   */
  close(): Promise<void>;
  /** Settles when the subscription ends: resolves after `close`, rejects with a handler's error. */
  readonly closed: Promise<void>;
}

/** `topic:partition`, the key of position maps. */
export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}
