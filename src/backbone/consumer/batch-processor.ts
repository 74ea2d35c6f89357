import { topicPartitionKey, type LogRecord, type OutgoingMessage, type RecordBatch, type TopicPartition } from '../messaging/event-bus.ts';
import type { Database, SqlRunner } from '../storage/database.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { EventCodec } from '../codec/event-codec.ts';
import type { Clock, IdGenerator } from '../clock/clock.ts';
import type { BackboneMetrics } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { BackboneError, ErrorCodes, classifyError, type ErrorCode } from '../errors.ts';
import { envelopeFromHeaders } from '../envelope/envelope.ts';
import { EventEncoder } from '../envelope/event-encoder.ts';
import { EventFailure, type BatchEventHandler, type ConsumedEvent, type EmittedEvent } from './handler.ts';
import { deadLetterMessage } from './dead-letter.ts';
import { retryMessage, retryStateOf, type RetryState } from './retry-headers.ts';
import { replayHeaders } from './replay-headers.ts';
import { decodeHeaders, encodeHeaders } from '../messaging/headers.ts';
import { FaultPoints, type FaultInjector } from '../faults.ts';
import { currentLogContext, withLogContext } from '../observability/log-context.ts';
import { eventLogContext, type EventLogFields } from './event-log-context.ts';

export interface RetryPolicy {
  /**
   * `blocking`: the partition waits while the failing event is retried (for handlers where the
   * order of all events of a partition matters). `non-blocking`: the event goes to a retry topic
   * and its key is parked, so later events of that key wait while other keys flow.
   */
  mode: 'blocking' | 'non-blocking';
  /** Delay before each retry; after the last, the event is dead-lettered. Default 1 s, 5 s, 30 s. */
  delaysMs: readonly number[];
}

/** How duplicates published at new offsets are dropped (see `ConsumerOptions.deduplication`). */
export type Deduplication = 'processed-ids' | 'handler';

export interface BatchProcessorDeps {
  db: Database;
  outbox: Outbox;
  codec: EventCodec;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metrics?: BackboneMetrics;
  /** Crash points for fault-injection tests; unset in production. */
  faults?: FaultInjector;
  /** Business fields of an event for its log context (see `eventLogContext`), e.g. its payment id. */
  eventLogFields?: EventLogFields;
}

export interface BatchProcessorOptions {
  /** The consumer's name: its group id, the owner of its processed ids and dead letters. */
  consumer: string;
  /** The name positions are stored under (differs for the retry-tier subscription). */
  positionsOwner: string;
  /** The consumer's handler; a per-event handler comes wrapped by `perEvent`. */
  handler: BatchEventHandler;
  retry: RetryPolicy;
  /** See `ConsumerOptions.deduplication`. Default `processed-ids`. */
  deduplication?: Deduplication;
  /** True for the subscription that reads the retry-tier topics. */
  readsRetryTiers: boolean;
  /** Aborted on shutdown: stops waiting for retries. */
  signal: AbortSignal;
}

/** One record of a batch on its way through. */
interface Item {
  record: LogRecord;
  retry: RetryState;
  event?: ConsumedEvent;
  undecodable?: { code: ErrorCode; reason: string };
}

/** A run of one partition batch's items, `start` to `end` (exclusive), applied in a transaction. */
interface Part {
  batch: RecordBatch;
  items: Item[];
  start: number;
  end: number;
}

/** What one failed record turns into, written in its own small transaction. */
interface FailureAction {
  outgoing: OutgoingMessage[];
  parkKey: boolean;
  releaseNextParked: boolean;
}

/** A record of the range failed: `index` in its batch, or -1 when a batch handler did not say which. */
class RangeFailure extends Error {
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super('handler failed', { cause });
    this.index = index;
  }
}

/**
 * Applies one partition batch with exactly-once effects: the handler's writes, the events it
 * emits (outbox), the processed event ids and the new position commit in ONE database
 * transaction. The fast path runs the whole batch in one transaction; when a record fails, the
 * transaction is rolled back, the records before it are committed, the failure is dealt with on
 * its own (retry, retry tier or dead letter), and the rest of the batch carries on. A partition
 * never stalls on one record.
 *
 * `applyTogether` applies several partitions' batches in one transaction (the consumer runner
 * joins the batches that arrive together), all or nothing; it is the fast path under load, where
 * one commit then carries the records of every partition a fetch returned.
 */
export class BatchProcessor {
  readonly #deps: BatchProcessorDeps;
  readonly #options: BatchProcessorOptions;
  readonly #encoder: EventEncoder;

  constructor(deps: BatchProcessorDeps, options: BatchProcessorOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#encoder = new EventEncoder(deps.codec, deps.ids, deps.clock);
  }

  async process(batch: RecordBatch): Promise<void> {
    const items = await this.#decodeBatch(batch);
    let start = 0;
    let end = items.length;
    // After a batch handler failed without naming the event: records up to here go one at a time.
    let oneByOneUntil = 0;
    while (start < items.length) {
      if (this.#options.readsRetryTiers) end = await this.#waitUntilDue(items, start);
      if (start < oneByOneUntil) end = start + 1;
      try {
        await this.#commitParts([{ batch, items, start, end }]);
        start = end;
        end = items.length;
      } catch (error) {
        if (!(error instanceof RangeFailure)) throw error;
        if (error.index < 0 && end - start > 1) {
          oneByOneUntil = end;
          end = start + 1;
          continue;
        }
        const index = Math.max(error.index, start);
        if (index > start) {
          end = index;
          continue;
        }
        await this.#handleFailure(batch, items, start, error.cause);
        start++;
        end = items.length;
      }
    }
  }

  /**
   * Applies whole batches of several partitions in one transaction. Rejects, having committed
   * nothing, if any record fails (or the transaction does): the caller then runs `process` on each
   * batch, which deals with the failure record by record.
   */
  async applyTogether(batches: readonly RecordBatch[]): Promise<void> {
    const parts = await Promise.all(batches.map(async (batch) => {
      const items = await this.#decodeBatch(batch);
      return { batch, items, start: 0, end: items.length };
    }));
    await this.#commitParts(parts);
  }

  /** Whether this consumer records the ids it applies (`ConsumerOptions.deduplication`). */
  get #recordsIds(): boolean {
    return this.#options.deduplication !== 'handler';
  }

  /**
   * `emit` for the handler. A consumer that leaves deduplication to its handler must not emit: a
   * duplicate it applies again (harmlessly) would emit its events a second time.
   */
  #emitTo(emitted: { cause: ConsumedEvent; event: EmittedEvent }[], cause: ConsumedEvent, event: EmittedEvent): void {
    if (!this.#recordsIds) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `consumer ${this.#options.consumer} emits ${event.topic}, but its deduplication is left to its handler: an event applied twice would emit twice`);
    emitted.push({ cause, event });
  }

  /** A non-blocking consumer's main subscription parks an event whose key has one parked already. */
  get #checksParkedKeys(): boolean {
    return this.#options.retry.mode === 'non-blocking' && !this.#options.readsRetryTiers;
  }

  async #decodeBatch(batch: RecordBatch): Promise<Item[]> {
    const items = await Promise.all(batch.records.map((record) => this.#decode(record)));
    this.#deps.metrics?.batchSize.observe({ group: this.#options.consumer, topic: batch.topic }, items.length);
    return items;
  }

  async #decode(record: LogRecord): Promise<Item> {
    const retry = retryStateOf(record);
    try {
      const { envelope } = envelopeFromHeaders(record.headers, record.key);
      if (record.value === null) throw new BackboneError(ErrorCodes.UNDECODABLE_EVENT, 'record has no value');
      const payload = await this.#deps.codec.decode(retry.origin.topic, envelope.eventType, record.value);
      let correlationId = envelope.correlationId;
      if (!correlationId) {
        correlationId = this.#deps.ids.eventId();
        this.#deps.logger.warn({ eventId: envelope.eventId, topic: record.topic, correlationId }, 'event without correlationId; generated one');
      }
      const event: ConsumedEvent = { envelope: { ...envelope, correlationId }, payload, topic: retry.origin.topic, partition: record.partition, offset: record.offset, attempt: retry.attempt };
      return { record, retry, event };
    } catch (error) {
      const { code, message } = classifyError(error);
      if (code === ErrorCodes.REGISTRY_UNAVAILABLE) throw error; // not the record's fault: retry the batch
      return { record, retry, undecodable: { code: code === ErrorCodes.HANDLER_FAILED ? ErrorCodes.UNDECODABLE_EVENT : code, reason: message } };
    }
  }

  /** Retry tiers: sleeps until the first record is due; returns the end of the due run. */
  async #waitUntilDue(items: Item[], start: number): Promise<number> {
    const { clock } = this.#deps;
    const waitMs = items[start]!.retry.dueAtMs - clock.nowMs();
    if (waitMs > 0) await clock.sleep(waitMs, this.#options.signal);
    if (this.#options.signal.aborted) throw new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, 'consumer is stopping');
    let end = start + 1;
    while (end < items.length && items[end]!.retry.dueAtMs <= clock.nowMs()) end++;
    return end;
  }

  async #commitParts(parts: readonly Part[]): Promise<void> {
    const startedAt = performance.now();
    const handledPerTopic = new Map<string, number>();
    let effects: (() => Promise<void>)[] = [];
    await this.#deps.db.transaction(async (tx) => {
      effects = [];
      const eventIds = this.#recordsIds ? parts.flatMap((part) => part.items.slice(part.start, part.end).flatMap((item) => (item.event ? [item.event.envelope.eventId] : []))) : [];
      // The parked keys are looked up for every decoded event of this consumer (a superset of the
      // candidates below, which need the positions first): in the same round trip.
      const parkable = this.#checksParkedKeys ? parts.flatMap((part) => part.items.slice(part.start, part.end).filter((item) => item.event && this.#isForThisConsumer(item.record))) : [];
      const { positions, processed: seen, parked } = await this.#lockPositions(tx, parts.map((part) => part.batch), eventIds, parkable);
      const outgoing: OutgoingMessage[] = [];
      const candidates: { part: Part; index: number }[] = [];
      for (const part of parts) {
        const position = positions.get(topicPartitionKey(part.batch));
        for (let index = part.start; index < part.end; index++) {
          const item = part.items[index]!;
          if (position !== undefined && item.record.offset < position) continue;
          if (item.undecodable) outgoing.push(this.#deadLetter(item, item.undecodable.code, item.undecodable.reason));
          else if (this.#isForThisConsumer(item.record)) candidates.push({ part, index });
        }
      }
      const toHandle: { part: Part; index: number; event: ConsumedEvent }[] = [];
      const toPark: Item[] = [];
      for (const { part, index } of candidates) {
        const item = part.items[index]!;
        const event = item.event!;
        if (seen.has(event.envelope.eventId)) continue;
        if (!this.#options.readsRetryTiers && parked.has(parkedKeyOf(item))) {
          toPark.push(item);
          continue;
        }
        seen.add(event.envelope.eventId);
        toHandle.push({ part, index, event });
      }
      const emitted: { cause: ConsumedEvent; event: EmittedEvent }[] = [];
      if (toHandle.length > 0) {
        try {
          const events = toHandle.map((entry) => entry.event);
          const handle = () => this.#options.handler(events, { tx, emit: (cause, event) => this.#emitTo(emitted, cause, event), afterCommit: (effect) => void effects.push(inCurrentLogContext(effect)) });
          // A batch of one event (and every event retried or searched for one at a time) runs in
          // its event's log context; a per-event handler sets each event's own (consumer runner).
          await (events.length === 1 ? withLogContext(this.#logContextOf(events[0]!), handle) : handle());
        } catch (error) {
          const named = error instanceof EventFailure ? toHandle[error.index] : toHandle.length === 1 ? toHandle[0] : undefined;
          throw new RangeFailure(named && parts.length === 1 ? named.index : -1, error instanceof EventFailure ? error.cause : error);
        }
      }
      for (const { cause, event } of emitted) outgoing.push((await this.#encoder.encode(event, cause.envelope)).message);
      for (const { part, index, event } of toHandle) {
        handledPerTopic.set(event.topic, (handledPerTopic.get(event.topic) ?? 0) + 1);
        if (this.#options.readsRetryTiers) await this.#releaseNextParked(tx, part.items[index]!, outgoing);
      }
      await this.#park(tx, toPark);
      await this.#deps.outbox.write(tx, outgoing);
      await this.#storePositions(tx, parts.map((part) => ({ ...part.batch, nextOffset: part.items[part.end - 1]!.record.offset + 1n })), this.#recordsIds ? toHandle.map(({ event }) => event.envelope.eventId) : []);
    });
    this.#deps.faults?.reach(FaultPoints.consumerAfterCommit);
    await this.#runEffects(effects);
    const { consumer } = this.#options;
    const metrics = this.#deps.metrics;
    const handled = [...handledPerTopic.values()].reduce((sum, count) => sum + count, 0);
    if (metrics && handled > 0) {
      const secondsPerEvent = (performance.now() - startedAt) / 1000 / handled;
      for (const [topic, count] of handledPerTopic) {
        metrics.eventsConsumed.inc({ group: consumer, topic }, count);
        metrics.handlerDurationSeconds.observe({ group: consumer, topic }, secondsPerEvent);
      }
    }
    for (const part of parts) for (const item of part.items.slice(part.start, part.end)) if (item.undecodable) this.#countDeadLetter(part.batch.topic, item.undecodable.code);
  }

  /** The handlers' after-commit effects, concurrently; a failure is logged (see `HandlerContext.afterCommit`). */
  async #runEffects(effects: readonly (() => Promise<void>)[]): Promise<void> {
    if (effects.length === 0) return;
    const outcomes = await Promise.allSettled(effects.map((effect) => effect()));
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') this.#deps.logger.error({ err: outcome.reason, consumer: this.#options.consumer }, 'an after-commit effect failed; its recovery path takes over');
    }
  }

  async #handleFailure(batch: RecordBatch, items: Item[], index: number, error: unknown): Promise<void> {
    const item = items[index]!;
    const { code, retryable, message } = classifyError(error);
    const { retry } = this.#options;
    const logged = { topic: batch.topic, partition: batch.partition, offset: String(item.record.offset), code, retryable, attempt: item.retry.attempt + 1 };
    if (item.event) withLogContext(this.#logContextOf(item.event), () => this.#deps.logger.warn(logged, `handler failed: ${message}`));
    else this.#deps.logger.warn(logged, `handler failed: ${message}`);
    if (!retryable) return this.#commitFailure(batch, item, { outgoing: [this.#deadLetter(item, code, message, item.retry.attempt + 1)], parkKey: false, releaseNextParked: this.#options.readsRetryTiers });
    if (retry.mode === 'blocking') return this.#retryInPlace(batch, items, index, error);
    const state: RetryState = { ...item.retry, attempt: item.retry.attempt + 1 };
    const nextTier = this.#options.readsRetryTiers ? (item.retry.attempt === 0 ? 0 : item.retry.tier + 1) : 0;
    if (nextTier >= retry.delaysMs.length) {
      return this.#commitFailure(batch, item, { outgoing: [this.#deadLetter(item, ErrorCodes.RETRIES_EXHAUSTED, message, state.attempt)], parkKey: false, releaseNextParked: true });
    }
    this.#deps.metrics?.eventsRetried.inc({ group: this.#options.consumer, topic: item.retry.origin.topic });
    const dueAtMs = this.#deps.clock.nowMs() + retry.delaysMs[nextTier]!;
    await this.#commitFailure(batch, item, { outgoing: [retryMessage(item.record, state, nextTier, retry.delaysMs, dueAtMs)], parkKey: !this.#options.readsRetryTiers, releaseNextParked: false });
  }

  /** Blocking retry: the partition waits out each delay and tries the record again on its own. */
  async #retryInPlace(batch: RecordBatch, items: Item[], index: number, firstError: unknown): Promise<void> {
    const item = items[index]!;
    let lastError = firstError;
    for (const [attempt, delayMs] of this.#options.retry.delaysMs.entries()) {
      this.#deps.metrics?.eventsRetried.inc({ group: this.#options.consumer, topic: batch.topic });
      await this.#deps.clock.sleep(delayMs, this.#options.signal);
      if (this.#options.signal.aborted) throw new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, 'consumer is stopping', { cause: lastError });
      item.event!.attempt = attempt + 1;
      try {
        await this.#commitParts([{ batch, items, start: index, end: index + 1 }]);
        return;
      } catch (error) {
        if (!(error instanceof RangeFailure)) throw error;
        lastError = error.cause;
        const { code, retryable, message } = classifyError(lastError);
        if (!retryable) return this.#commitFailure(batch, item, { outgoing: [this.#deadLetter(item, code, message, attempt + 2)], parkKey: false, releaseNextParked: false });
      }
    }
    const { message } = classifyError(lastError);
    await this.#commitFailure(batch, item, { outgoing: [this.#deadLetter(item, ErrorCodes.RETRIES_EXHAUSTED, message, this.#options.retry.delaysMs.length + 1)], parkKey: false, releaseNextParked: false });
  }

  async #commitFailure(batch: RecordBatch, item: Item, action: FailureAction): Promise<void> {
    await this.#deps.db.transaction(async (tx) => {
      const position = (await this.#lockPositions(tx, [batch], [])).positions.get(topicPartitionKey(batch));
      if (position !== undefined && item.record.offset < position) return;
      const outgoing = [...action.outgoing];
      if (action.parkKey) await tx.query(`insert into consumer_parked_keys (consumer, topic, key) values ($1, $2, $3) on conflict do nothing`, [this.#options.consumer, item.retry.origin.topic, item.record.key ?? Buffer.alloc(0)]);
      if (action.releaseNextParked) await this.#releaseNextParked(tx, item, outgoing);
      await this.#deps.outbox.write(tx, outgoing);
      await this.#storePositions(tx, [{ ...batch, nextOffset: item.record.offset + 1n }]);
    });
    for (const message of action.outgoing) {
      const code = message.headers?.['dlq-error-code']?.toString();
      if (code) this.#countDeadLetter(item.retry.origin.topic, code);
    }
  }

  /**
   * Non-blocking retry: once the head of a parked key is done (succeeded or dead-lettered), the
   * next parked event of that key becomes the head (sent to the first retry tier, due at once); when
   * none is left, the key is unparked. The parked key's row lock orders this against the main
   * consumer parking a new event of the key at the same moment.
   */
  async #releaseNextParked(tx: SqlRunner, item: Item, outgoing: OutgoingMessage[]): Promise<void> {
    const { consumer, retry } = this.#options;
    const topic = item.retry.origin.topic;
    const key = item.record.key ?? Buffer.alloc(0);
    const locked = await tx.query(`select 1 from consumer_parked_keys where consumer = $1 and topic = $2 and key = $3 for update`, [consumer, topic, key]);
    if (locked.rows.length === 0) return;
    const next = await tx.query<{ id: bigint; value: Buffer | null; headers: unknown; source_partition: number; source_offset: bigint }>(
      `delete from consumer_parked_events where id = (
         select id from consumer_parked_events where consumer = $1 and topic = $2 and key = $3 order by id limit 1)
       returning id, value, headers, source_partition, source_offset`,
      [consumer, topic, key],
    );
    const row = next.rows[0];
    if (!row) {
      await tx.query(`delete from consumer_parked_keys where consumer = $1 and topic = $2 and key = $3`, [consumer, topic, key]);
      return;
    }
    const headers = decodeHeaders(row.headers);
    const record: LogRecord = { topic, partition: row.source_partition, offset: row.source_offset, key, value: row.value, headers, timestampMs: this.#deps.clock.nowMs() };
    const state: RetryState = { origin: { topic, partition: row.source_partition, offset: row.source_offset }, attempt: 0, tier: 0, dueAtMs: 0 };
    outgoing.push(retryMessage(record, state, 0, retry.delaysMs, this.#deps.clock.nowMs()));
  }

  #logContextOf(event: ConsumedEvent) {
    return eventLogContext(event, this.#deps.eventLogFields);
  }

  #deadLetter(item: Item, code: ErrorCode, reason: string, attempts = 1): OutgoingMessage {
    return deadLetterMessage({ record: item.record, origin: item.retry.origin, code, reason, attempts, consumer: this.#options.consumer, failedAtMs: this.#deps.clock.nowMs() });
  }

  #countDeadLetter(topic: string, code: string): void {
    this.#deps.metrics?.eventsDeadLettered.inc({ group: this.#options.consumer, topic, code });
  }

  /** A replayed dead letter is meant for the one consumer it was replayed to. */
  #isForThisConsumer(record: LogRecord): boolean {
    const target = record.headers[replayHeaders.forConsumer]?.toString();
    return target === undefined || target === this.#options.consumer;
  }

  /**
   * Locks the stored positions of the partitions (in one order: topic, partition), finds which of
   * `eventIds` this consumer has processed before and, for a consumer with non-blocking retries,
   * which of the keys of `parkable` are parked, locking those too (see `#releaseNextParked`): one
   * round trip.
   *
   * The processed ids are looked up one primary-key probe per id (`lateral … offset 0` keeps the
   * planner from turning the lookup into a join). With `event_id = any(…)` the planner, before the
   * table's first ANALYZE, took `consumer = …` for selective and read every id the consumer ever
   * processed on every batch: 2,700 index entries per payment in the first minute of a bench run.
   */
  async #lockPositions(tx: SqlRunner, partitions: readonly TopicPartition[], eventIds: readonly string[], parkable: readonly Item[] = []): Promise<{ positions: Map<string, bigint>; processed: Set<string>; parked: Set<string> }> {
    const params: unknown[] = [this.#options.positionsOwner, partitions.map((tp) => tp.topic), partitions.map((tp) => tp.partition), this.#options.consumer, eventIds];
    let parkedPart = '';
    if (parkable.length > 0) {
      const wanted = [...new Set(parkable.map(parkedKeyOf))].sort().map((entry) => entry.split(' '));
      params.push(wanted.map(([topic]) => topic!), wanted.map(([, key]) => key!));
      parkedPart = `
       union all
       select null, null, null, null, topic || ' ' || key_hex from parked`;
    }
    const result = await tx.query<{ topic: string | null; partition: number | null; next_offset: bigint | null; event_id: string | null; parked_key: string | null }>(
      `with positions as (
         select topic, partition, next_offset from consumer_positions
          where consumer = $1 and (topic, partition) in (select * from unnest($2::text[], $3::int[]))
          order by topic, partition for update)${parkable.length > 0 ? `,
       parked as (
         select topic, encode(key, 'hex') as key_hex from consumer_parked_keys
          where consumer = $4 and (topic, encode(key, 'hex')) in (select * from unnest($6::text[], $7::text[]))
          order by topic, key for update)` : ''}
       select topic, partition, next_offset, null::text as event_id, null::text as parked_key from positions
       union all
       select null, null, null, p.event_id, null
         from unnest($5::text[]) as e(event_id)
         cross join lateral (select event_id from consumer_processed_events where consumer = $4 and event_id = e.event_id offset 0) p${parkedPart}`,
      params,
    );
    const positions = new Map<string, bigint>();
    const processed = new Set<string>();
    const parked = new Set<string>();
    for (const row of result.rows) {
      if (row.event_id !== null) processed.add(row.event_id);
      else if (row.parked_key !== null) parked.add(row.parked_key);
      else positions.set(topicPartitionKey({ topic: row.topic!, partition: row.partition! }), row.next_offset!);
    }
    return { positions, processed, parked };
  }

  /** Stores the partitions' new positions and records `processedIds` as processed: one round trip. */
  async #storePositions(tx: SqlRunner, positions: readonly (TopicPartition & { nextOffset: bigint })[], processedIds: readonly string[] = []): Promise<void> {
    await tx.query(
      `with processed as (insert into consumer_processed_events (consumer, event_id) select $5, unnest($6::text[]) on conflict do nothing)
       insert into consumer_positions (consumer, topic, partition, next_offset)
         select $1, topic, partition, next_offset from unnest($2::text[], $3::int[], $4::bigint[]) as p(topic, partition, next_offset)
         on conflict (consumer, topic, partition) do update set next_offset = greatest(consumer_positions.next_offset, excluded.next_offset), updated_at = now()`,
      [this.#options.positionsOwner, positions.map((p) => p.topic), positions.map((p) => p.partition), positions.map((p) => p.nextOffset.toString()), this.#options.consumer, processedIds],
    );
  }

  async #park(tx: SqlRunner, items: Item[]): Promise<void> {
    for (const item of items) {
      await tx.query(
        `insert into consumer_parked_events (consumer, topic, key, value, headers, source_partition, source_offset) values ($1, $2, $3, $4, $5::jsonb, $6, $7)`,
        [this.#options.consumer, item.retry.origin.topic, item.record.key ?? Buffer.alloc(0), item.record.value, encodeHeaders(item.record.headers), item.record.partition, item.record.offset],
      );
    }
  }
}

/** `effect`, run later in the log context it was registered in (the event's, see `process`). */
function inCurrentLogContext(effect: () => Promise<void>): () => Promise<void> {
  const context = currentLogContext();
  return context === undefined ? effect : () => withLogContext(context, effect);
}

/** `topic keyhex` of the item's origin topic and key (topic names have no spaces). */
function parkedKeyOf(item: Item): string {
  return `${item.retry.origin.topic} ${(item.record.key ?? Buffer.alloc(0)).toString('hex')}`;
}
