import type { EventBus, Subscription } from '../messaging/event-bus.ts';
import { deadLetterTopicOf, retryTopicOf } from '../topics/topic-naming.ts';
import { defaultRetryDelaysMs } from '../topics/failure-topics.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { BatchProcessor, type BatchProcessorDeps, type Deduplication, type RetryPolicy } from './batch-processor.ts';
import { ConsumerStore } from './consumer-store.ts';
import { perEvent, type BatchEventHandler, type EventHandler } from './handler.ts';
import { BatchCoalescer } from './batch-coalescer.ts';
import { withLogContext } from '../observability/log-context.ts';
import { eventLogContext } from './event-log-context.ts';

export interface ConsumerOptions {
  /** The consumer group, and the owner of this consumer's positions and processed ids. */
  name: string;
  topics: readonly string[];
  /** The business logic, per event; or `batchHandler`, per batch (exactly one of the two). */
  handler?: EventHandler;
  /** The business logic for a whole batch, for set-based writes (see `BatchEventHandler`). */
  batchHandler?: BatchEventHandler;
  retry?: Partial<RetryPolicy>;
  /** Most records of one partition per batch. Default 500. */
  maxBatchRecords?: number;
  /**
   * Most partitions' batches joined in one transaction (see `BatchCoalescer`); 1 gives each
   * partition's batch its own transaction. Default 64.
   */
  maxPartitionsPerTransaction?: number;
  /** Pause before re-joining after the subscription failed (database or broker down). Default 1000. */
  restartBackoffMs?: number;
  /**
   * How an event published again at a new offset (the relay re-sending after a crash, a replayed
   * dead letter) is kept from being applied twice. `processed-ids` (default): the runner records
   * each event id it applies, in the batch's transaction, and drops ids it recorded before.
   * `handler`: the handler's writes are idempotent per event id by themselves (unique keys,
   * updates that only move forward) and it emits nothing (`emit` throws), so the runner neither
   * looks ids up nor records them: for the observers that read every event of a payment (the
   * audit trail, the status projection) that is two index probes and a row less per event. In
   * both modes a redelivered offset is skipped by position and a duplicate within a batch dropped.
   */
  deduplication?: Deduplication;
  /**
   * The topics its handler emits to: the consumer's declared outputs, from which a choreography's
   * diagram is drawn (src/backbone/flows). When given, an emit to any other topic is a programmer
   * error: it fails the event (a dead letter naming the topic), so a declaration cannot drift from
   * what the handler does without a test noticing. Unset: any topic, undeclared.
   */
  produces?: readonly string[];
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
  readonly #options: Required<Omit<ConsumerOptions, 'retry' | 'handler' | 'batchHandler' | 'produces'>> & {
    retry: RetryPolicy;
    produces?: readonly string[];
  };
  readonly #handler: BatchEventHandler;
  readonly #abort = new AbortController();
  readonly #subscriptions = new Set<Subscription>();
  readonly #supervisors: Promise<void>[] = [];

  constructor(deps: ConsumerRunnerDeps, options: ConsumerOptions) {
    const retry: RetryPolicy = { mode: 'blocking', delaysMs: defaultRetryDelaysMs, ...options.retry };
    if (options.topics.length === 0) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `consumer ${options.name} has no topics`);
    if (retry.delaysMs.some((delay) => !Number.isInteger(delay) || delay < 0))
      throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `consumer ${options.name}: retry delays must be non-negative integers (ms)`);
    if ((options.handler === undefined) === (options.batchHandler === undefined))
      throw new BackboneError(
        ErrorCodes.INVALID_OPTIONS,
        `consumer ${options.name}: give a handler or a batchHandler, not both or neither`,
      );
    this.name = options.name;
    this.#deps = deps;
    const { handler, batchHandler, ...rest } = options;
    this.#options = {
      maxBatchRecords: 500,
      restartBackoffMs: 1000,
      maxPartitionsPerTransaction: 64,
      deduplication: 'processed-ids',
      ...rest,
      retry,
    };
    this.#handler = batchHandler ?? perEvent(handler!, (event, run) => withLogContext(eventLogContext(event, deps.eventLogFields), run));
  }

  /** Topics of the retry tiers this consumer reads in non-blocking mode (to declare and create). */
  retryTopics(): string[] {
    if (this.#options.retry.mode !== 'non-blocking') return [];
    return this.#options.topics.flatMap((topic) =>
      [...new Set(this.#options.retry.delaysMs)].map((delayMs) => retryTopicOf(topic, delayMs)),
    );
  }

  /** The consumer groups this runner joins and the topics of each (for lag monitoring). */
  groups(): { groupId: string; topics: readonly string[] }[] {
    const groups = [{ groupId: this.name, topics: this.#options.topics }];
    if (this.#options.retry.mode === 'non-blocking') groups.push({ groupId: `${this.name}.retry`, topics: this.retryTopics() });
    return groups;
  }

  /** The dead-letter topics this consumer writes to: one per consumed topic (for their depth). */
  deadLetterTopics(): string[] {
    return this.#options.topics.map(deadLetterTopicOf);
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
    // A stopped member reports no heartbeat rather than an old one (a group scaled down is not stalled).
    for (const { groupId } of this.groups()) this.#deps.metrics?.consumerHeartbeatSeconds.remove({ group: groupId });
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
          // stop() may have run while this subscription was being made (a SIGTERM right after
          // start): it closed the ones it saw, not this one, which would wait for its end forever.
          if (this.#abort.signal.aborted) {
            await subscription.close();
            break;
          }
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
      handler: this.#handler,
      retry: this.#options.retry,
      deduplication: this.#options.deduplication,
      produces: this.#options.produces,
      readsRetryTiers,
      signal: this.#abort.signal,
    });
    // Retry tiers wait for each record's due time inside `process`: they are not joined.
    const joinPartitions = !readsRetryTiers && this.#options.maxPartitionsPerTransaction > 1;
    const coalescer = joinPartitions
      ? new BatchCoalescer(
          (batches) => processor.applyTogether(batches),
          (batch) => processor.process(batch),
          { maxBatches: this.#options.maxPartitionsPerTransaction },
        )
      : undefined;
    const heartbeat = () => this.#deps.metrics?.consumerHeartbeatSeconds.set({ group: groupId }, this.#deps.clock.nowMs() / 1000);
    return this.#deps.bus.subscribe({
      groupId,
      topics,
      maxBatchRecords: this.#options.maxBatchRecords,
      onAssigned: (partitions) => ConsumerStore.storedPositions(this.#deps.db, groupId, partitions),
      handleBatch: async (batch) => {
        await (coalescer ? coalescer.submit(batch) : processor.process(batch));
        heartbeat();
      },
      onPoll: heartbeat,
    });
  }
}
