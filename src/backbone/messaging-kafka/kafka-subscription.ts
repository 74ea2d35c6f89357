import { ConnectionPool, Consumer, FetchIsolationLevels, type ConsumerGroupJoinPayload, type GroupAssignment } from '@platformatic/kafka';
import { topicPartitionKey, type SubscribeOptions, type Subscription, type TopicPartition } from '../messaging/event-bus.ts';
import { isBrokerUnavailable, toBackboneError } from './errors.ts';
import { baseClientOptions, type ResolvedKafkaOptions } from './options.ts';
import { PartitionFetcher, type FetchedPartition } from './partition-fetcher.ts';
import { logBoundaries, startingPositions } from './positions.ts';
import type { QueuedBatch } from './record-batches.ts';

/** A partition this member owns, from assignment to revocation. */
interface OwnedPartition extends FetchedPartition {
  readonly key: string;
  /** Fetched batches not yet handed to the handler. */
  readonly queue: QueuedBatch[];
  /** Set when the partition is being taken away: no further batch starts. */
  revoked: boolean;
  /** The batch being handled and then committed, if any. */
  current: { phase: 'handling' | 'committing'; done: Promise<void> } | null;
}

type State = 'joining' | 'running' | 'stopping' | 'stopped';

const noUserData = Buffer.alloc(0);

/**
 * One member of a consumer group: a @platformatic/kafka `Consumer` used for what it does well
 * (group membership, heartbeats, commits, offset queries), with fetching and delivery driven here
 * so that positions, batches and rebalances follow the port's rules exactly.
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
  #revoking = false;
  #failure: { error: unknown } | null = null;
  #shutdown: Promise<void> | null = null;
  readonly #commitWaitBeforeRejoinMs: number;
  readonly #timings: Pick<ResolvedKafkaOptions, 'brokerUnavailableTimeoutMs' | 'retryDelayMs'>;

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
    this.#commitWaitBeforeRejoinMs = Math.min(bus.requestTimeoutMs, 5_000);
    this.#timings = { brokerUnavailableTimeoutMs: bus.brokerUnavailableTimeoutMs, retryDelayMs: bus.retryDelayMs };
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
    this.#consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      const assignments = payload.assignments ?? [];
      void this.#enqueue(() => this.#assign(assignments));
    });
    // Emitted when a rejoin after a rebalance failed for good: the member is out of the group.
    this.#consumer.on('error', (error: Error) => this.#fail(toBackboneError(error, `rejoining consumer group ${this.groupId}`)));
    const pool = new ConnectionPool(client.clientId, { connectTimeout: bus.connectTimeoutMs, requestTimeout: bus.requestTimeoutMs, tls: bus.tls, sasl: bus.sasl });
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
        stillWants: (p, fromOffset) => this.#state === 'running' && this.#owned.get(p.key) === p && !p.revoked && p.fetchOffset === fromOffset,
        accept: (p, batches, nextFetchOffset) => {
          p.fetchOffset = nextFetchOffset;
          p.queue.push(...batches);
          this.#deliverNext(p);
        },
        resetOutOfRange: (partitions) => this.#resetOutOfRange(partitions),
        fail: (error) => this.#fail(error),
      },
    );
  }

  assignment(): TopicPartition[] {
    return [...this.#owned.values()].filter((p) => !p.revoked).map(toTopicPartition);
  }

  ready(): Promise<void> {
    return this.#ready.promise;
  }

  close(): Promise<void> {
    return this.#stop().then(() => this.closed);
  }

  /** Runs `step` after every assignment and revocation queued before it. */
  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#control.then(step, step);
    this.#control = next.catch(() => {});
    return next;
  }

  /** The library's hook before each JoinGroup request: our `onPartitionsRevoked`. */
  async #beforeJoin(): Promise<Buffer> {
    console.error('DEBUG beforeJoin', this.#revoking, this.#owned.size);
    // A revocation is already under way and one of its commits found the member fenced: the
    // library rejoins to retry that commit, and the revocation is waiting for it, so let it through.
    if (this.#revoking) return noUserData;
    await this.#enqueue(() => this.#revokeAll({ waitForCommitsInFlight: false }));
    return noUserData;
  }

  async #assign(assignments: GroupAssignment[]): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    // Normally empty: the hook revoked everything before the join that produced this assignment.
    await this.#revokeAll({ waitForCommitsInFlight: true });
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
      this.#fail(error instanceof RangeError ? error : toBackboneError(error, `reading the positions of ${partitions.map(topicPartitionKey).join(', ')}`));
      return;
    }
    console.error('DEBUG assigned', [...positions]);
    for (const tp of partitions) {
      const key = topicPartitionKey(tp);
      this.#owned.set(key, { ...tp, key, fetchOffset: positions.get(key)!, fetching: false, queue: [], revoked: false, current: null });
    }
    if (this.#state === 'joining') this.#state = 'running';
    this.#ready.resolve();
    this.#fetcher.wake();
  }

  /**
   * Takes every owned partition away: no further batch starts, buffered ones are dropped (they
   * were not committed; the next owner fetches them again), batches being handled finish and
   * commit, then `onRevoked`.
   *
   * Before a rejoin, a commit already sent when the revocation began is waited for at most
   * `#commitWaitBeforeRejoinMs`: it may itself be the commit whose failure made the library rejoin
   * (the member was fenced), and that commit resolves only after the rejoin this hook is holding
   * up. Not waiting longer is safe: it was sent on the coordinator connection before this member's
   * JoinGroup, and the broker handles one connection's requests in order.
   */
  async #revokeAll({ waitForCommitsInFlight }: { waitForCommitsInFlight: boolean }): Promise<void> {
    if (this.#owned.size === 0) return;
    this.#revoking = true;
    try {
      const partitions = [...this.#owned.values()];
      for (const p of partitions) {
        p.revoked = true;
        p.queue.length = 0;
      }
      const handling = partitions.flatMap((p) => (p.current?.phase === 'handling' ? [p.current.done] : []));
      const committing = partitions.flatMap((p) => (p.current?.phase === 'committing' ? [p.current.done] : []));
      await Promise.all(handling);
      if (waitForCommitsInFlight) await Promise.all(committing);
      else await settledWithin(Promise.all(committing), this.#commitWaitBeforeRejoinMs);
      this.#owned.clear();
      if (this.#options.onRevoked) {
        try {
          await this.#options.onRevoked(partitions.map(toTopicPartition));
        } catch (error) {
          this.#fail(error);
        }
      }
    } finally {
      this.#revoking = false;
    }
  }

  /** Hands the partition's next batch to the handler unless one is in flight: batches of a partition never overlap. */
  #deliverNext(p: OwnedPartition): void {
    if (p.current || p.revoked || this.#state !== 'running') return;
    const queued = p.queue.shift();
    if (!queued) return;
    // The buffer just emptied: fetch the partition's next records while this batch is handled.
    if (p.queue.length === 0) this.#fetcher.wake();
    const current: NonNullable<OwnedPartition['current']> = { phase: 'handling', done: Promise.resolve() };
    p.current = current;
    current.done = this.#handleAndCommit(p, queued, current);
  }

  async #handleAndCommit(p: OwnedPartition, queued: QueuedBatch, current: NonNullable<OwnedPartition['current']>): Promise<void> {
    try {
      await this.#options.handleBatch(queued.batch);
    } catch (error) {
      p.current = null;
      this.#fail(error);
      return;
    }
    current.phase = 'committing';
    try {
      await this.#commit(p, queued);
    } catch (error) {
      p.current = null;
      this.#fail(toBackboneError(error, `committing ${p.key} at offset ${queued.nextOffset} for group ${this.groupId}`));
      return;
    }
    p.current = null;
    this.#deliverNext(p);
  }

  /**
   * Commits the position after `queued`. A coordinator that is failing over (its broker died, a new
   * one is loading the group) refuses commits for a few seconds, longer than the library's own
   * retries last; the partition's next batch waits meanwhile, so retry until the cluster has been
   * unavailable for `brokerUnavailableTimeoutMs`. Other failures stop the subscription at once.
   */
  async #commit(p: OwnedPartition, queued: QueuedBatch): Promise<void> {
    const startedMs = Date.now();
    for (;;) {
      try {
        await this.#consumer.commit({ offsets: [{ topic: p.topic, partition: p.partition, offset: queued.nextOffset, leaderEpoch: queued.leaderEpoch }] });
        return;
      } catch (error) {
        if (!isBrokerUnavailable(error) || Date.now() - startedMs >= this.#timings.brokerUnavailableTimeoutMs || this.#consumer.closed) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.#timings.retryDelayMs));
      }
    }
  }

  async #resetOutOfRange(partitions: OwnedPartition[]): Promise<void> {
    const wanted = partitions.map((p) => ({ p, from: p.fetchOffset }));
    const boundaries = await logBoundaries(this.#consumer, partitions.map(toTopicPartition), this.#options.startFrom);
    console.error('DEBUG reset out of range', wanted.map(w => [w.p.key, w.from]), [...boundaries]);
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
      await this.#enqueue(() => this.#revokeAll({ waitForCommitsInFlight: true }));
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

/** Resolves when `promise` settles or after `ms`, whichever comes first. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise.then(() => {}, () => {}), elapsed]);
  clearTimeout(timer);
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
