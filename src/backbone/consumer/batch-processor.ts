import { topicPartitionKey, type OutgoingMessage, type RecordBatch } from '../messaging/event-bus.ts';
import type { SqlRunner } from '../storage/database.ts';
import { ErrorCodes, classifyError, type ErrorCode } from '../errors.ts';
import { EventEncoder } from '../envelope/event-encoder.ts';
import { EventFailure, type ConsumedEvent, type EmittedEvent } from './handler.ts';
import { FaultPoints } from '../faults.ts';
import { withLogContext } from '../observability/log-context.ts';
import { inCurrentLogContext, runAfterCommit } from './after-commit.ts';
import { triage } from './triage.ts';
import { eventLogContext } from './event-log-context.ts';
import { decodeItem, itemsOf, type Item, type Part } from './batch-item.ts';
import { ConsumerStore } from './consumer-store.ts';
import { ConsumerMetrics } from './consumer-metrics.ts';
import { emitOnce, idsToLookUp, isBehindPosition, recordsIds } from './deduplication.ts';
import { checksParkedKeys, distinctKeys, parkedKeyOf } from './key-parking.ts';
import { isForConsumer } from './replay-filter.ts';
import { isolateFailures, RangeFailure } from './failure-isolation.ts';
import { retryInPlace } from './blocking-retry.ts';
import { nextTierAction, releaseNextParked, waitUntilDue } from './retry-tiers.ts';
import { deadLetterCodeOf, deadLetterMessage } from './dead-letter.ts';
import type { FailureAction } from './retry-policy.ts';
import type { BatchProcessorDeps, BatchProcessorOptions } from './batch-processor-options.ts';

export type { Deduplication } from './deduplication.ts';
export type { RetryPolicy } from './retry-policy.ts';
export type { BatchProcessorDeps, BatchProcessorOptions } from './batch-processor-options.ts';

/** What a transaction applied: its handled events and the after-commit effects they registered. */
interface Applied {
  handled: ConsumedEvent[];
  effects: (() => Promise<void>)[];
}

/**
 * Applies one partition batch with exactly-once effects: the handler's writes, the events it
 * emits (outbox), the processed event ids and the new position commit in ONE database
 * transaction, of a fixed number of statements (see `ConsumerStore`). This file is the
 * transaction's skeleton; each policy is a file of its own with its contract: `deduplication.ts`,
 * `key-parking.ts`, `blocking-retry.ts`, `retry-tiers.ts`, `dead-letter.ts`, `replay-filter.ts`,
 * `failure-isolation.ts` (a partition never stalls on one record).
 *
 * `applyTogether` applies several partitions' batches in one transaction (the consumer runner
 * joins the batches that arrive together), all or nothing; it is the fast path under load, where
 * one commit then carries the records of every partition a fetch returned.
 */
export class BatchProcessor {
  readonly #deps: BatchProcessorDeps;
  readonly #options: BatchProcessorOptions;
  readonly #encoder: EventEncoder;
  readonly #store: ConsumerStore;
  readonly #metrics: ConsumerMetrics;

  constructor(deps: BatchProcessorDeps, options: BatchProcessorOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#encoder = new EventEncoder(deps.codec, deps.ids, deps.clock);
    this.#store = new ConsumerStore(options.consumer, options.positionsOwner);
    this.#metrics = new ConsumerMetrics(deps.metrics, options.consumer);
  }

  /**
   * Applies one partition's batch, run after run (see `failure-isolation.ts`). Rejects only for
   * what is not a record's fault (the database or the schema registry down, a shutdown): the batch
   * is then delivered again.
   */
  async process(batch: RecordBatch): Promise<void> {
    const items = await this.#decodeBatch(batch);
    const { clock } = this.#deps;
    const { signal, readsRetryTiers } = this.#options;
    await isolateFailures(items.length, {
      runEnd: (start) => (readsRetryTiers ? waitUntilDue(items, start, clock, signal) : Promise.resolve(items.length)),
      apply: (start, end) => this.#commitParts([{ batch, items, start, end }]),
      onFailure: (index, cause) => this.#handleFailure(batch, items, index, cause),
    });
  }

  /**
   * Applies whole batches of several partitions in one transaction. Rejects, having committed
   * nothing, if any record fails (or the transaction does): the caller then runs `process` on each
   * batch, which deals with the failure record by record.
   */
  async applyTogether(batches: readonly RecordBatch[]): Promise<void> {
    const parts = await Promise.all(
      batches.map(async (batch) => {
        const items = await this.#decodeBatch(batch);
        return { batch, items, start: 0, end: items.length };
      }),
    );
    await this.#commitParts(parts);
  }

  async #decodeBatch(batch: RecordBatch): Promise<Item[]> {
    const items = await Promise.all(batch.records.map((record) => decodeItem(record, this.#deps)));
    this.#metrics.batch(batch.topic, items.length);
    return items;
  }

  async #commitParts(parts: readonly Part[]): Promise<void> {
    const startedAt = performance.now();
    let applied: Applied = { handled: [], effects: [] };
    await this.#deps.db.transaction(async (tx) => {
      applied = await this.#apply(tx, parts);
    });
    this.#deps.faults?.reach(FaultPoints.consumerAfterCommit);
    await runAfterCommit(applied.effects, this.#deps.logger, this.#options.consumer);
    this.#metrics.applied(applied.handled, performance.now() - startedAt);
    for (const part of parts)
      for (const item of itemsOf(part)) if (item.undecodable) this.#metrics.deadLettered(part.batch.topic, item.undecodable.code);
  }

  /** The transaction of `parts`: lock and look up, sort, handle, then write what follows. */
  async #apply(tx: SqlRunner, parts: readonly Part[]): Promise<Applied> {
    const { readsRetryTiers, retry } = this.#options;
    const parkable = checksParkedKeys(retry, readsRetryTiers)
      ? parts.flatMap((part) => itemsOf(part).filter((item) => item.event && isForConsumer(item.record, this.#options.consumer)))
      : [];
    const state = await this.#store.lockBatchState(
      tx,
      parts.map((part) => part.batch),
      idsToLookUp(parts, recordsIds(this.#options.deduplication)),
      distinctKeys(parkable),
    );
    const { toHandle, toPark, undecodable } = triage(parts, state, this.#options.consumer, readsRetryTiers);
    const outgoing = undecodable.map((item) => this.#deadLetter(item, item.undecodable!.code, item.undecodable!.reason));
    const applied: Applied = { handled: toHandle.map((entry) => entry.item.event!), effects: [] };
    const emitted = await this.#handle(tx, toHandle, parts.length, applied.effects);
    for (const { cause, event } of emitted) outgoing.push((await this.#encoder.encode(event, cause.envelope)).message);
    if (readsRetryTiers) for (const { item } of toHandle) await releaseNextParked(tx, this.#store, item, retry, this.#deps.clock, outgoing);
    await this.#store.parkEvents(
      tx,
      toPark.map((item) => ({ origin: item.retry.origin.topic, record: item.record })),
    );
    await this.#deps.outbox.write(tx, outgoing);
    const ids = recordsIds(this.#options.deduplication) ? applied.handled.map((event) => event.envelope.eventId) : [];
    await this.#store.storePositions(
      tx,
      parts.map((part) => ({ ...part.batch, nextOffset: part.items[part.end - 1]!.record.offset + 1n })),
      ids,
    );
    return applied;
  }

  /** Runs the handler on `toHandle`'s events; a failure becomes a `RangeFailure` naming the record if it can. */
  async #handle(
    tx: SqlRunner,
    toHandle: readonly { item: Item; index: number }[],
    partCount: number,
    effects: (() => Promise<void>)[],
  ): Promise<{ cause: ConsumedEvent; event: EmittedEvent }[]> {
    const emitted: { cause: ConsumedEvent; event: EmittedEvent }[] = [];
    if (toHandle.length === 0) return emitted;
    const events = toHandle.map((entry) => entry.item.event!);
    const context = {
      tx,
      emit: emitOnce(this.#options.consumer, recordsIds(this.#options.deduplication), emitted, this.#options.produces),
      afterCommit: (effect: () => Promise<void>) => void effects.push(inCurrentLogContext(effect)),
    };
    try {
      // A batch of one event (and every event retried or searched for one at a time) runs in
      // its event's log context; a per-event handler sets each event's own (consumer runner).
      await (events.length === 1
        ? withLogContext(this.#logContextOf(events[0]!), () => this.#options.handler(events, context))
        : this.#options.handler(events, context));
    } catch (error) {
      const named = error instanceof EventFailure ? toHandle[error.index] : toHandle.length === 1 ? toHandle[0] : undefined;
      throw new RangeFailure(named && partCount === 1 ? named.index : undefined, error instanceof EventFailure ? error.cause : error);
    }
    return emitted;
  }

  /** A record that failed alone: dead letter, blocking retry or the next retry tier. */
  async #handleFailure(batch: RecordBatch, items: Item[], index: number, error: unknown): Promise<void> {
    const item = items[index]!;
    const { code, retryable, message } = classifyError(error);
    const { retry, readsRetryTiers, signal } = this.#options;
    const logged = {
      topic: batch.topic,
      partition: batch.partition,
      offset: String(item.record.offset),
      code,
      retryable,
      attempt: item.retry.attempt + 1,
    };
    if (item.event) withLogContext(this.#logContextOf(item.event), () => this.#deps.logger.warn(logged, `handler failed: ${message}`));
    else this.#deps.logger.warn(logged, `handler failed: ${message}`);
    const { clock } = this.#deps;
    if (!retryable)
      return this.#commitFailure(batch, item, {
        outgoing: [this.#deadLetter(item, code, message, item.retry.attempt + 1)],
        parkKey: false,
        releaseNextParked: readsRetryTiers,
      });
    if (retry.mode === 'blocking') {
      return retryInPlace(item, error, {
        delaysMs: retry.delaysMs,
        clock,
        signal,
        countRetry: () => this.#metrics.retried(batch.topic),
        applyAlone: () => this.#commitParts([{ batch, items, start: index, end: index + 1 }]),
        deadLetter: (failedCode, reason, attempts) =>
          this.#commitFailure(batch, item, {
            outgoing: [this.#deadLetter(item, failedCode, reason, attempts)],
            parkKey: false,
            releaseNextParked: false,
          }),
      });
    }
    const action = nextTierAction(item, retry, readsRetryTiers, clock.nowMs(), (attempts) =>
      this.#deadLetter(item, ErrorCodes.RETRIES_EXHAUSTED, message, attempts),
    );
    const retried = action.outgoing.every((outgoing) => deadLetterCodeOf(outgoing) === undefined);
    if (retried) this.#metrics.retried(item.retry.origin.topic);
    await this.#commitFailure(batch, item, action);
  }

  /** Writes what a failed record turns into, and moves the position past it: one small transaction. */
  async #commitFailure(batch: RecordBatch, item: Item, action: FailureAction): Promise<void> {
    await this.#deps.db.transaction(async (tx) => {
      const { positions } = await this.#store.lockBatchState(tx, [batch], []);
      if (isBehindPosition(item.record.offset, positions.get(topicPartitionKey(batch)))) return;
      const outgoing = [...action.outgoing];
      if (action.parkKey) await this.#store.parkKey(tx, parkedKeyOf(item));
      if (action.releaseNextParked) await releaseNextParked(tx, this.#store, item, this.#options.retry, this.#deps.clock, outgoing);
      await this.#deps.outbox.write(tx, outgoing);
      await this.#store.storePositions(tx, [{ ...batch, nextOffset: item.record.offset + 1n }]);
    });
    this.#metrics.deadLettersIn(action.outgoing, item.retry.origin.topic);
  }

  #logContextOf(event: ConsumedEvent) {
    return eventLogContext(event, this.#deps.eventLogFields);
  }

  #deadLetter(item: Item, code: ErrorCode, reason: string, attempts = 1): OutgoingMessage {
    return deadLetterMessage({
      record: item.record,
      origin: item.retry.origin,
      code,
      reason,
      attempts,
      consumer: this.#options.consumer,
      failedAtMs: this.#deps.clock.nowMs(),
    });
  }
}
