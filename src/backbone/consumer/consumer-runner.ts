import { topicPartitionKey, type EventBus, type Subscription, type TopicPartition } from '../messaging/event-bus.ts';
import { retryTopicOf } from '../topics/topic-naming.ts';
import { defaultRetryDelaysMs } from '../topics/failure-topics.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { BatchProcessor, type BatchProcessorDeps, type RetryPolicy } from './batch-processor.ts';
import type { EventHandler } from './handler.ts';

export interface ConsumerOptions {
  /** The consumer group, and the owner of this consumer's positions and processed ids. */
  name: string;
  topics: readonly string[];
  handler: EventHandler;
  retry?: Partial<RetryPolicy>;
  /** Default 500. */
  maxBatchRecords?: number;
  /** Pause before re-joining after the subscription failed (database or broker down). Default 1000. */
  restartBackoffMs?: number;
}

export interface ConsumerRunnerDeps extends BatchProcessorDeps {
  bus: EventBus;
}

/**
 * Runs one consumer: joins its group on the bus, resumes every assigned partition from the
 * position stored in its database, and hands batches to the `BatchProcessor` (exactly-once
 * effects). In non-blocking retry mode it also consumes its retry-tier topics, as group
 * `<name>.retry`. A subscription that fails (database or broker down) is re-joined after a pause;
 * `stop` is graceful: stop fetching, finish in-flight batches, commit, leave the group.
 */
export class ConsumerRunner {
  readonly name: string;
  readonly #deps: ConsumerRunnerDeps;
  readonly #options: Required<Omit<ConsumerOptions, 'retry'>> & { retry: RetryPolicy };
  readonly #abort = new AbortController();
  readonly #subscriptions = new Set<Subscription>();
  readonly #supervisors: Promise<void>[] = [];

  constructor(deps: ConsumerRunnerDeps, options: ConsumerOptions) {
    const retry: RetryPolicy = { mode: 'blocking', delaysMs: defaultRetryDelaysMs, ...options.retry };
    if (options.topics.length === 0) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `consumer ${options.name} has no topics`);
    if (retry.delaysMs.some((delay) => !Number.isInteger(delay) || delay < 0)) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `consumer ${options.name}: retry delays must be non-negative integers (ms)`);
    this.name = options.name;
    this.#deps = deps;
    this.#options = { maxBatchRecords: 500, restartBackoffMs: 1000, ...options, retry };
  }

  /** Topics of the retry tiers this consumer reads in non-blocking mode (to declare and create). */
  retryTopics(): string[] {
    if (this.#options.retry.mode !== 'non-blocking') return [];
    return this.#options.topics.flatMap((topic) => [...new Set(this.#options.retry.delaysMs)].map((delayMs) => retryTopicOf(topic, delayMs)));
  }

  /** The consumer groups this runner joins and the topics of each (for lag monitoring). */
  groups(): { groupId: string; topics: readonly string[] }[] {
    const groups = [{ groupId: this.name, topics: this.#options.topics }];
    if (this.#options.retry.mode === 'non-blocking') groups.push({ groupId: `${this.name}.retry`, topics: this.retryTopics() });
    return groups;
  }

  /** Joins the group(s); resolves once the first assignment arrived. */
  async start(): Promise<void> {
    const ready = [this.#supervise(this.name, this.#options.topics, false)];
    if (this.#options.retry.mode === 'non-blocking') ready.push(this.#supervise(`${this.name}.retry`, this.retryTopics(), true));
    await Promise.all(ready);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    await Promise.all(this.#supervisors);
  }

  /** Subscribes, and re-subscribes after a failure until stopped. Resolves when first ready. */
  #supervise(groupId: string, topics: readonly string[], readsRetryTiers: boolean): Promise<void> {
    let firstReady!: () => void;
    const ready = new Promise<void>((resolve) => (firstReady = resolve));
    const loop = async () => {
      while (!this.#abort.signal.aborted) {
        let subscription: Subscription | undefined;
        try {
          subscription = await this.#subscribe(groupId, topics, readsRetryTiers);
          this.#subscriptions.add(subscription);
          await subscription.ready();
          firstReady();
          await subscription.closed;
        } catch (error) {
          if (this.#abort.signal.aborted) break;
          this.#deps.logger.error({ err: error, consumer: groupId }, 'consumer stopped with an error; re-joining');
          await this.#deps.clock.sleep(this.#options.restartBackoffMs, this.#abort.signal);
        } finally {
          if (subscription) this.#subscriptions.delete(subscription);
        }
      }
      firstReady();
    };
    this.#supervisors.push(loop());
    return ready;
  }

  #subscribe(groupId: string, topics: readonly string[], readsRetryTiers: boolean): Promise<Subscription> {
    const processor = new BatchProcessor(this.#deps, {
      consumer: this.name,
      positionsOwner: groupId,
      handler: this.#options.handler,
      retry: this.#options.retry,
      readsRetryTiers,
      signal: this.#abort.signal,
    });
    return this.#deps.bus.subscribe({
      groupId,
      topics,
      maxBatchRecords: this.#options.maxBatchRecords,
      onAssigned: (partitions) => this.#storedPositions(groupId, partitions),
      handleBatch: (batch) => processor.process(batch),
    });
  }

  async #storedPositions(owner: string, partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
    const result = await this.#deps.db.query<{ topic: string; partition: number; next_offset: bigint }>(
      `select topic, partition, next_offset from consumer_positions where consumer = $1 and topic = any($2::text[])`,
      [owner, [...new Set(partitions.map((tp) => tp.topic))]],
    );
    const wanted = new Set(partitions.map(topicPartitionKey));
    return new Map(result.rows.filter((row) => wanted.has(topicPartitionKey(row))).map((row) => [topicPartitionKey(row), row.next_offset]));
  }
}
