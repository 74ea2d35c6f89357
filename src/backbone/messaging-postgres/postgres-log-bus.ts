import type { Database, Unlisten } from '../storage/database.ts';
import { migrate } from '../storage/migrate.ts';
import type { EventBus, EventBusCapabilities, OutgoingMessage, SubscribeOptions, Subscription } from '../messaging/event-bus.ts';
import { partitionForKey } from '../messaging/partitioner.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { appendToLog } from './append.ts';
import { LogGroupMember, type LogGroupMemberTimings } from './log-group-member.ts';
import { appendChannel, eventLogMigrations } from './migrations.ts';
import { WakeSignal } from '../concurrency/wake-signal.ts';
import type { SqlRunner } from '../storage/database.ts';

export interface PostgresLogBusOptions {
  db: Database;
  timings?: Partial<LogGroupMemberTimings>;
}

const defaultTimings: LogGroupMemberTimings = { standbyRetryMs: 500, idlePollMs: 5000, livenessCheckMs: 2000 };

/**
 * The event bus on PostgreSQL tables (a server, or PGlite in-process): the embedded engine.
 *
 * It keeps Kafka's semantics where they matter (partitions by murmur2 key, order within a
 * partition, consumer groups with committed positions, at-least-once redelivery) and differs where
 * scale is Kafka's job: one member of a group is active and owns every partition; the others stand
 * by and take over when it goes. Consumers are woken by LISTEN/NOTIFY, not by polling.
 */
export class PostgresLogBus implements EventBus {
  readonly engine = 'postgres' as const;
  readonly capabilities: EventBusCapabilities = { splitsPartitionsAcrossMembers: false, activeStandbyMembers: true };
  readonly db: Database;
  readonly #timings: LogGroupMemberTimings;
  readonly #partitionCounts = new Map<string, number>();
  readonly #signals = new Map<string, WakeSignal>();
  readonly #members = new Set<LogGroupMember>();
  #unlisten: Unlisten | undefined;

  private constructor(options: PostgresLogBusOptions) {
    this.db = options.db;
    this.#timings = { ...defaultTimings, ...options.timings };
  }

  /** Creates the log's tables if needed and starts listening for appends. */
  static async open(options: PostgresLogBusOptions): Promise<PostgresLogBus> {
    const bus = new PostgresLogBus(options);
    await migrate(bus.db, 'event-log', eventLogMigrations);
    bus.#unlisten = await bus.db.listen(appendChannel, (topic) => {
      // An empty payload means "anything may have changed" (e.g. after a reconnect).
      if (topic === '') for (const signal of bus.#signals.values()) signal.wake();
      else bus.#signalOf(topic).wake();
    });
    return bus;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    await this.db.transaction((tx) => this.appendInTransaction(tx, messages));
  }

  /**
   * Appends within the caller's transaction: the messages are published exactly when the caller's
   * other writes commit. This is the embedded engine's transactional outbox (no relay needed).
   */
  appendInTransaction(tx: SqlRunner, messages: readonly OutgoingMessage[]): Promise<void> {
    return appendToLog(tx, messages, (topic, runner) => this.partitionCount(topic, runner));
  }

  async partitionFor(topic: string, key: Buffer): Promise<number> {
    return partitionForKey(key, await this.partitionCount(topic));
  }

  /** `runner` is the transaction in progress, if any (PGlite cannot query beside an open one). */
  async partitionCount(topic: string, runner: SqlRunner = this.db): Promise<number> {
    const cached = this.#partitionCounts.get(topic);
    if (cached !== undefined) return cached;
    const result = await runner.query<{ partitions: number }>(`select partitions from log_topics where topic = $1`, [topic]);
    const count = result.rows[0]?.partitions;
    if (count === undefined)
      throw new BackboneError(
        ErrorCodes.INVALID_OPTIONS,
        `topic ${topic} does not exist in the event log; declare it and apply the topic plan`,
      );
    this.#partitionCounts.set(topic, count);
    return count;
  }

  /** Forgets cached partition counts (after partitions were added). */
  invalidateTopic(topic: string): void {
    this.#partitionCounts.delete(topic);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    for (const topic of options.topics) await this.partitionCount(topic);
    const member = new LogGroupMember(this.db, options, this.#timings, (topic) => this.partitionCount(topic), this.#signals);
    this.#members.add(member);
    member.closed.finally(() => this.#members.delete(member)).catch(() => {});
    return member;
  }

  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    const result = await this.db.query<{ partition: number; next_offset: bigint }>(
      `select partition, next_offset from log_partitions where topic = $1`,
      [topic],
    );
    return new Map(result.rows.map((row) => [row.partition, row.next_offset]));
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const result = await this.db.query<{ partition: number; next_offset: bigint }>(
      `select partition, next_offset from log_group_offsets where group_id = $1 and topic = $2`,
      [groupId, topic],
    );
    return new Map(result.rows.map((row) => [row.partition, row.next_offset]));
  }

  /** Closes the subscriptions; the database belongs to the caller and stays open. */
  async close(): Promise<void> {
    await Promise.all([...this.#members].map((member) => member.close()));
    await this.#unlisten?.();
  }

  #signalOf(topic: string): WakeSignal {
    let signal = this.#signals.get(topic);
    if (!signal) this.#signals.set(topic, (signal = new WakeSignal()));
    return signal;
  }
}
