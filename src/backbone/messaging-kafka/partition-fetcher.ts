import { findErrorBy, FetchIsolationLevels, type ClusterMetadata, type ConnectionPool, type Consumer } from '@platformatic/kafka';
import { BackboneError } from '../errors.ts';
import { toBackboneError } from './errors.ts';
import { toQueuedBatches, type QueuedBatch } from './record-batches.ts';

// The library does not export its Fetch API types by name.
type FetchRequestTopic = Parameters<Consumer['fetch']>[0]['topics'][number];
type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

/** What the fetcher needs to know about a partition the member owns. */
export interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to fetch. */
  fetchOffset: bigint;
  /** Set while a fetch for the partition is outstanding. */
  fetching: boolean;
}

/** The subscription side of the fetcher. */
export interface FetchSink<P extends FetchedPartition> {
  /** Owned partitions that want records now (nothing buffered, not revoked, subscription running). */
  fetchable(): P[];
  /** Whether `partition` is still owned and still wants the records fetched from `fromOffset`. */
  stillWants(partition: P, fromOffset: bigint): boolean;
  /** New batches for `partition`, in offset order, ending before `nextFetchOffset`. */
  accept(partition: P, batches: QueuedBatch[], nextFetchOffset: bigint): void;
  /** The broker no longer has the position (deleted by retention): move it per `startFrom`. */
  resetOutOfRange(partitions: P[]): Promise<void>;
  /** Fetching has failed for longer than the subscription tolerates. */
  fail(error: BackboneError): void;
  /** A fetch was answered, with records or without (the poll loop is alive). */
  polled?(): void;
}

export interface FetcherSettings {
  maxWaitMs: number;
  maxBytes: number;
  maxBytesPerPartition: number;
  maxBatchRecords: number;
  retryDelayMs: number;
  unavailableTimeoutMs: number;
}

/**
 * Fetches owned partitions, one loop per leader broker, like the Java consumer: a loop sends one
 * fetch for every partition of its broker that has nothing buffered, so a partition's next records
 * are fetched while its current batch is being handled (one fetch ahead, never more: memory stays
 * bounded by `fetchMaxBytesPerPartition` per partition). A partition whose buffer drains while its
 * broker's fetch is waiting joins the next fetch, at most `fetchMaxWaitMs` later.
 *
 * It uses the consumer's documented low-level `fetch` on a connection pool of its own, so a fetch
 * waiting on the broker never delays the heartbeats and commits that share the consumer's
 * connection to the group coordinator.
 */
export class PartitionFetcher<P extends FetchedPartition> {
  readonly #consumer: Consumer;
  readonly #pool: ConnectionPool;
  readonly #settings: FetcherSettings;
  readonly #sink: FetchSink<P>;
  readonly #loops = new Map<number, Promise<void>>();
  #stopped = false;
  #failingSinceMs: number | null = null;
  #retryTimer: NodeJS.Timeout | null = null;

  constructor(consumer: Consumer, pool: ConnectionPool, settings: FetcherSettings, sink: FetchSink<P>) {
    this.#consumer = consumer;
    this.#pool = pool;
    this.#settings = settings;
    this.#sink = sink;
  }

  /** Starts a loop for every broker that leads a fetchable partition and has none. Cheap; call freely. */
  wake(): void {
    if (this.#stopped) return;
    void this.#spawnLoops();
  }

  /** Stops fetching; resolves once no fetch is outstanding (at most `fetchMaxWaitMs`). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    await Promise.allSettled([...this.#loops.values()]);
    await this.#pool.close().catch(() => {});
  }

  async #spawnLoops(): Promise<void> {
    let metadata: ClusterMetadata;
    try {
      metadata = await this.#metadata();
    } catch (error) {
      this.#onError(error);
      return;
    }
    if (this.#stopped) return;
    let leaderless = false;
    for (const partition of this.#sink.fetchable()) {
      const node = leaderOf(metadata, partition);
      if (node === undefined) leaderless = true;
      else if (!this.#loops.has(node)) this.#loops.set(node, this.#runLoop(node));
    }
    // A leader election is under way: look again shortly with fresh metadata.
    if (leaderless) {
      this.#consumer.clearMetadata();
      this.#retryLater();
    }
  }

  async #runLoop(node: number): Promise<void> {
    try {
      while (!this.#stopped) {
        const metadata = await this.#metadata();
        const partitions = this.#sink.fetchable().filter((p) => !p.fetching && leaderOf(metadata, p) === node);
        if (partitions.length === 0 || this.#stopped) return;
        await this.#fetchOnce(node, metadata, partitions);
      }
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#loops.delete(node);
      // Leadership may have moved while this loop ran: the new leader's loop must start.
      if (!this.#stopped && this.#retryTimer === null && this.#sink.fetchable().some((p) => !p.fetching)) this.wake();
    }
  }

  async #fetchOnce(node: number, metadata: ClusterMetadata, partitions: P[]): Promise<void> {
    const requested = partitions.map((p) => ({ partition: p, fromOffset: p.fetchOffset }));
    for (const p of partitions) p.fetching = true;
    let response: FetchResponse;
    try {
      response = await this.#consumer.fetch({
        node,
        topics: fetchRequest(metadata, requested, this.#settings.maxBytesPerPartition),
        connectionPool: this.#pool,
        maxWaitTime: this.#settings.maxWaitMs,
        minBytes: 1,
        maxBytes: this.#settings.maxBytes,
        // Records of aborted transactions are never delivered; open ones wait for their outcome.
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      });
    } catch (error) {
      for (const p of partitions) p.fetching = false;
      if (this.#stopped) return;
      if (findErrorBy(error as Error, 'apiId', 'OFFSET_OUT_OF_RANGE')) {
        await this.#sink.resetOutOfRange(partitions);
        return;
      }
      throw error;
    }
    for (const p of partitions) p.fetching = false;
    this.#failingSinceMs = null;
    if (this.#stopped) return;
    this.#sink.polled?.();
    const topicNames = new Map([...metadata.topics].map(([name, topic]) => [topic.id, name]));
    for (const topicResponse of response.responses) {
      const topic = topicNames.get(topicResponse.topicId) ?? topicResponse.topicId;
      for (const partitionResponse of topicResponse.partitions) {
        const entry = requested.find((r) => r.partition.topic === topic && r.partition.partition === partitionResponse.partitionIndex);
        // A partition the broker's fetch session still served but we did not ask for: stale.
        if (!entry || !partitionResponse.records?.length) continue;
        if (!this.#sink.stillWants(entry.partition, entry.fromOffset)) continue;
        const converted = toQueuedBatches(
          topic,
          partitionResponse.partitionIndex,
          partitionResponse.records,
          entry.fromOffset,
          this.#settings.maxBatchRecords,
        );
        if (converted.nextFetchOffset !== null) this.#sink.accept(entry.partition, converted.batches, converted.nextFetchOffset);
      }
    }
  }

  /** Backs off and tries again, until fetching has failed for `unavailableTimeoutMs`. */
  #onError(error: unknown): void {
    if (this.#stopped) return;
    const nowMs = Date.now();
    this.#failingSinceMs ??= nowMs;
    if (nowMs - this.#failingSinceMs >= this.#settings.unavailableTimeoutMs) {
      this.#stopped = true;
      this.#sink.fail(toBackboneError(error, 'fetching records'));
      return;
    }
    this.#consumer.clearMetadata();
    this.#retryLater();
  }

  #retryLater(): void {
    if (this.#retryTimer !== null || this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.wake();
    }, this.#settings.retryDelayMs);
  }

  #metadata(): Promise<ClusterMetadata> {
    return this.#consumer.metadata({ topics: this.#consumer.topics.current });
  }
}

function leaderOf(metadata: ClusterMetadata, p: FetchedPartition): number | undefined {
  const leader = metadata.topics.get(p.topic)?.partitions[p.partition]?.leader;
  return leader === undefined || leader < 0 ? undefined : leader;
}

function fetchRequest(
  metadata: ClusterMetadata,
  requested: { partition: FetchedPartition; fromOffset: bigint }[],
  maxBytesPerPartition: number,
): FetchRequestTopic[] {
  const topics = new Map<string, FetchRequestTopic>();
  for (const { partition, fromOffset } of requested) {
    const topicId = metadata.topics.get(partition.topic)!.id;
    let topic = topics.get(topicId);
    if (!topic) topics.set(topicId, (topic = { topicId, partitions: [] }));
    // Epoch -1: the broker skips leader-epoch fencing; the library refreshes metadata on leader moves.
    topic.partitions.push({
      partition: partition.partition,
      fetchOffset: fromOffset,
      partitionMaxBytes: maxBytesPerPartition,
      currentLeaderEpoch: -1,
      lastFetchedEpoch: -1,
    });
  }
  return [...topics.values()];
}
