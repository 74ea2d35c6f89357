import { ConnectionPool, Consumer, FetchIsolationLevels, type ConsumerGroupJoinPayload, type GroupAssignment } from '@platformatic/kafka';
import { topicPartitionKey, type SubscribeOptions, type Subscription, type TopicPartition } from '../messaging/event-bus.ts';
import { toBackboneError } from './errors.ts';
import { OffsetCommitBatcher, type CommitTimings, type Membership } from './offset-committer.ts';
import { baseClientOptions, type ResolvedKafkaOptions } from './options.ts';
import { PartitionFetcher, type FetchedPartition } from './partition-fetcher.ts';
import { logBoundaries, startingPositions } from './positions.ts';
import type { QueuedBatch } from './record-batches.ts';

/** A partition this member owns, from assignment to revocation. */
interface OwnedPartition extends FetchedPartition {
  readonly key: string;
  /** Fetched batches not yet handed to the handler. */
  readonly queue: QueuedBatch[];
  /** The generation the partition was assigned in: its commits are sent under it. */
  readonly membership: Membership;
  /** Set when the partition is being taken away (or was lost): no further batch starts. */
  revoked: boolean;
  /** The batch being handled and then committed, if any. */
  current: { done: Promise<void> } | null;
}

type State = 'joining' | 'running' | 'stopping' | 'stopped';

const noUserData = Buffer.alloc(0);

/**
 * One member of a consumer group: a @platformatic/kafka `Consumer` used for what it does well
 * (group membership, heartbeats, offset queries, fetch requests), with fetching, delivery and
 * commits driven here so that positions, batches and rebalances follow the port's rules exactly.
 *
 * Rebalances (the classic group protocol, eager round-robin assignment): before every JoinGroup
 * the library calls `protocolsMetadata`; we use it as Java's `onPartitionsRevoked`. It stops
 * delivery, waits for the in-flight batches to be handled and committed, calls `onRevoked` and only
 * then lets the member rejoin, so the group is not rebalanced until every batch this member
 * started has its commit in the coordinator: the next owner resumes exactly after it, without
 * duplicates. After the join, the new assignment goes to `onAssigned` before any of its records is
 * fetched, and each partition starts from its position (see `startingPositions`). Assignments and
 * revocations run one at a time, in order, on the `#control` chain. See docs/kafka-engine.md for
 * the guarantees and the edge cases the library leaves open.
 */
export class KafkaSubscription implements Subscription {
  readonly groupId: string;
  readonly closed: Promise<void>;
  readonly #options: SubscribeOptions & { startFrom: 'earliest' | 'latest'; maxBatchRecords: number };
  readonly #consumer: Consumer;
  readonly #fetcher: PartitionFetcher<OwnedPartition>;
  readonly #owned = new Map<string, OwnedPartition>();
  readonly #ready = Promise.withResolvers<void>();
  readonly #end = Promise.withResolvers<void>();
  #control: Promise<unknown> = Promise.resolve();
  #state: State = 'joining';
  #failure: { error: unknown } | null = null;
  #shutdown: Promise<void> | null = null;
  readonly #commitTimings: CommitTimings;
  readonly #committer: OffsetCommitBatcher;

  /** Joins the group; resolves once this member is in it (its first assignment is being applied). */
  static async start(bus: ResolvedKafkaOptions, options: SubscribeOptions): Promise<KafkaSubscription> {
    const subscription = new KafkaSubscription(bus, options);
    try {
      await subscription.#consumer.joinGroup({});
    } catch (error) {
      const failure = toBackboneError(error, `joining consumer group ${options.groupId}`);
      subscription.#fail(failure);
      await subscription.closed.catch(() => {});
      throw failure;
    }
    return subscription;
  }

  private constructor(bus: ResolvedKafkaOptions, options: SubscribeOptions) {
    validateSubscribeOptions(options);
    this.groupId = options.groupId;
    this.#options = { ...options, startFrom: options.startFrom ?? 'earliest', maxBatchRecords: options.maxBatchRecords ?? 500 };
    this.#commitTimings = { retryDelayMs: bus.retryDelayMs, brokerUnavailableTimeoutMs: bus.brokerUnavailableTimeoutMs };
    this.closed = this.#end.promise;
    // Nobody may be listening (yet): the rejection is for whoever awaits, not an unhandled one.
    this.closed.catch(() => {});
    this.#ready.promise.catch(() => {});
    const client = baseClientOptions(bus, 'consumer');
    this.#consumer = new Consumer({
      ...client,
      // JoinGroup blocks until every member rejoined, up to the rebalance timeout.
      requestTimeout: Math.max(bus.requestTimeoutMs, bus.rebalanceTimeoutMs + 5_000),
      groupId: options.groupId,
      autocommit: false,
      sessionTimeout: bus.sessionTimeoutMs,
      rebalanceTimeout: bus.rebalanceTimeoutMs,
      heartbeatInterval: bus.heartbeatIntervalMs,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      protocolsMetadata: () => this.#beforeJoin(),
    });
    this.#consumer.topics.trackAll(...options.topics);
    this.#committer = new OffsetCommitBatcher(this.#consumer, this.#commitTimings);
    this.#consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      const membership = { generationId: payload.generationId ?? this.#consumer.generationId, memberId: payload.memberId };
      void this.#enqueue(() => this.#assign(payload.assignments ?? [], membership));
    });
    // Emitted when a rejoin after a rebalance failed for good: the member is out of the group.
    this.#consumer.on('error', (error: Error) => this.#fail(toBackboneError(error, `rejoining consumer group ${this.groupId}`)));
    const pool = new ConnectionPool(client.clientId, {
      connectTimeout: bus.connectTimeoutMs,
      requestTimeout: bus.requestTimeoutMs,
      tls: bus.tls,
      sasl: bus.sasl,
    });
    this.#fetcher = new PartitionFetcher<OwnedPartition>(
      this.#consumer,
      pool,
      {
        maxWaitMs: bus.fetchMaxWaitMs,
        maxBytes: bus.fetchMaxBytes,
        maxBytesPerPartition: bus.fetchMaxBytesPerPartition,
        maxBatchRecords: this.#options.maxBatchRecords,
        retryDelayMs: bus.retryDelayMs,
        unavailableTimeoutMs: bus.brokerUnavailableTimeoutMs,
      },
      {
        fetchable: () => (this.#state === 'running' ? [...this.#owned.values()].filter((p) => !p.revoked && p.queue.length === 0) : []),
        stillWants: (p, fromOffset) =>
          this.#state === 'running' && this.#owned.get(p.key) === p && !p.revoked && p.fetchOffset === fromOffset,
        accept: (p, batches, nextFetchOffset) => {
          p.fetchOffset = nextFetchOffset;
          p.queue.push(...batches);
          this.#deliverNext(p);
        },
        resetOutOfRange: (partitions) => this.#resetOutOfRange(partitions),
        fail: (error) => this.#fail(error),
        polled: () => this.#options.onPoll?.(),
      },
    );
  }

  assignment(): TopicPartition[] {
    return [...this.#owned.values()].filter((p) => !p.revoked).map(toTopicPartition);
  }

  ready(): Promise<void> {
    return this.#ready.promise;
  }

  /** Resolves once stopped; a handler's earlier failure is reported by `closed`, not here. */
  async close(): Promise<void> {
    await this.#stop();
  }

  /** Runs `step` after every assignment and revocation queued before it. */
  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#control.then(step, step);
    this.#control = next.catch(() => {});
    return next;
  }

  /** The library's hook before each JoinGroup request: our `onPartitionsRevoked`. */
  async #beforeJoin(): Promise<Buffer> {
    await this.#enqueue(() => this.#revokeAll());
    return noUserData;
  }

  async #assign(assignments: GroupAssignment[], membership: Membership): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    // Normally empty: the hook revoked everything before the join that produced this assignment.
    await this.#revokeAll();
    const partitions = assignments.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition }))).sort(byTopicPartition);
    let fromHandler: ReadonlyMap<string, bigint> | void;
    try {
      fromHandler = partitions.length > 0 && this.#options.onAssigned ? await this.#options.onAssigned(partitions) : undefined;
    } catch (error) {
      this.#fail(error);
      return;
    }
    let positions: Map<string, bigint>;
    try {
      positions = await startingPositions(this.#consumer, partitions, fromHandler, this.#options.startFrom);
    } catch (error) {
      this.#fail(
        error instanceof RangeError
          ? error
          : toBackboneError(error, `reading the positions of ${partitions.map(topicPartitionKey).join(', ')}`),
      );
      return;
    }
    for (const tp of partitions) {
      const key = topicPartitionKey(tp);
      this.#owned.set(key, {
        ...tp,
        key,
        membership,
        fetchOffset: positions.get(key)!,
        fetching: false,
        queue: [],
        revoked: false,
        current: null,
      });
    }
    if (this.#state === 'joining') this.#state = 'running';
    this.#ready.resolve();
    this.#fetcher.wake();
  }

  /**
   * Takes every owned partition away: no further batch starts, buffered ones are dropped (they
   * were not committed; the next owner fetches them again), batches being handled finish and
   * their commits complete, then `onRevoked`. Nothing here waits on the group (commits never
   * rejoin, see offset-committer.ts), so a revocation that holds up a rejoin cannot deadlock.
   */
  async #revokeAll(): Promise<void> {
    if (this.#owned.size === 0) return;
    const partitions = [...this.#owned.values()];
    for (const p of partitions) {
      p.revoked = true;
      p.queue.length = 0;
    }
    await Promise.all(partitions.flatMap((p) => (p.current ? [p.current.done] : [])));
    this.#owned.clear();
    if (!this.#options.onRevoked) return;
    try {
      await this.#options.onRevoked(partitions.map(toTopicPartition));
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Hands the partition's next batch to the handler unless one is in flight: batches of a partition never overlap. */
  #deliverNext(p: OwnedPartition): void {
    if (p.current || p.revoked || this.#state !== 'running') return;
    const queued = p.queue.shift();
    if (!queued) return;
    // The buffer just emptied: fetch the partition's next records while this batch is handled.
    if (p.queue.length === 0) this.#fetcher.wake();
    const current = { done: Promise.resolve() };
    p.current = current;
    current.done = this.#handleAndCommit(p, queued).then((carryOn) => {
      if (p.current === current) p.current = null;
      if (carryOn) this.#deliverNext(p);
    });
  }

  /** Whether the partition carries on with its next batch. Never rejects: a failure stops the subscription. */
  async #handleAndCommit(p: OwnedPartition, queued: QueuedBatch): Promise<boolean> {
    try {
      await this.#options.handleBatch(queued.batch);
    } catch (error) {
      this.#fail(error);
      return false;
    }
    let outcome: 'committed' | 'lost';
    try {
      const offset = { topic: p.topic, partition: p.partition, offset: queued.nextOffset, leaderEpoch: queued.leaderEpoch };
      outcome = await this.#committer.commit(p.membership, offset);
    } catch (error) {
      this.#fail(toBackboneError(error, `committing ${p.key} at offset ${queued.nextOffset} for group ${this.groupId}`));
      return false;
    }
    if (outcome === 'lost') {
      // The group moved on without this member's assignment (the member was fenced, or a
      // rebalance completed without it): the partition is not ours any more and its owner gets
      // the batch again. Stop delivering it; the library's heartbeat rejoins and the hook revokes.
      p.revoked = true;
      p.queue.length = 0;
      return false;
    }
    return true;
  }

  async #resetOutOfRange(partitions: OwnedPartition[]): Promise<void> {
    const wanted = partitions.map((p) => ({ p, from: p.fetchOffset }));
    const boundaries = await logBoundaries(this.#consumer, partitions.map(toTopicPartition), this.#options.startFrom);
    for (const { p, from } of wanted) {
      if (this.#owned.get(p.key) === p && p.fetchOffset === from) p.fetchOffset = boundaries.get(p.key) ?? from;
    }
  }

  /** Stops with `error` (a handler's, or the broker's): nothing more is delivered or committed for the failed batch. */
  #fail(error: unknown): void {
    if (this.#failure || this.#state === 'stopped') return;
    this.#failure = { error };
    this.#ready.reject(error);
    void this.#stop();
  }

  /** Graceful stop: no new fetches, in-flight batches finish and commit, `onRevoked`, leave the group. */
  #stop(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#state = 'stopping';
      await this.#fetcher.stop();
      await this.#enqueue(() => this.#revokeAll());
      // Leaving the group (LeaveGroup) moves the partitions at once instead of after the session timeout.
      await this.#consumer.close().catch(() => this.#consumer.close(true).catch(() => {}));
      this.#state = 'stopped';
      this.#ready.resolve();
      if (this.#failure) this.#end.reject(this.#failure.error);
      else this.#end.resolve();
    })();
    return this.#shutdown;
  }
}

function validateSubscribeOptions(options: SubscribeOptions): void {
  if (typeof options.groupId !== 'string' || options.groupId === '') throw new RangeError('groupId must be a non-empty string');
  if (!Array.isArray(options.topics) || options.topics.length === 0) throw new RangeError('topics must list at least one topic');
  if (options.maxBatchRecords !== undefined && (!Number.isInteger(options.maxBatchRecords) || options.maxBatchRecords < 1)) {
    throw new RangeError(`maxBatchRecords must be a positive integer, got ${options.maxBatchRecords}`);
  }
  if (typeof options.handleBatch !== 'function') throw new TypeError('handleBatch must be a function');
}

function toTopicPartition(p: TopicPartition): TopicPartition {
  return { topic: p.topic, partition: p.partition };
}

function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
}
