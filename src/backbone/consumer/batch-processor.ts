import type { LogRecord, OutgoingMessage, RecordBatch } from '../messaging/event-bus.ts';
import type { Database, SqlRunner } from '../storage/database.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { EventCodec } from '../codec/event-codec.ts';
import type { Clock, IdGenerator } from '../clock/clock.ts';
import type { BackboneMetrics } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { withLogContext } from '../observability/log-context.ts';
import { BackboneError, ErrorCodes, classifyError, type ErrorCode } from '../errors.ts';
import { envelopeFromHeaders } from '../envelope/envelope.ts';
import { EventEncoder } from '../envelope/event-encoder.ts';
import type { ConsumedEvent, EmittedEvent, EventHandler, HandlerContext } from './handler.ts';
import { deadLetterMessage } from './dead-letter.ts';
import { retryMessage, retryStateOf, type RetryState } from './retry-headers.ts';
import { replayHeaders } from './replay-headers.ts';
import { decodeHeaders, encodeHeaders } from '../messaging/headers.ts';
import { FaultPoints, type FaultInjector } from '../faults.ts';

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
}

export interface BatchProcessorOptions {
  /** The consumer's name: its group id, the owner of its processed ids and dead letters. */
  consumer: string;
  /** The name positions are stored under (differs for the retry-tier subscription). */
  positionsOwner: string;
  handler: EventHandler;
  retry: RetryPolicy;
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

/** What one failed record turns into, written in its own small transaction. */
interface FailureAction {
  outgoing: OutgoingMessage[];
  parkKey: boolean;
  releaseNextParked: boolean;
}

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
    const items = await Promise.all(batch.records.map((record) => this.#decode(record)));
    this.#deps.metrics?.batchSize.observe({ group: this.#options.consumer, topic: batch.topic }, items.length);
    let start = 0;
    let end = items.length;
    while (start < items.length) {
      if (this.#options.readsRetryTiers) end = await this.#waitUntilDue(items, start);
      try {
        await this.#commitRange(batch, items, start, end);
        start = end;
        end = items.length;
      } catch (error) {
        if (!(error instanceof RangeFailure)) throw error;
        if (error.index > start) {
          end = error.index;
          continue;
        }
        await this.#handleFailure(batch, items, start, error.cause);
        start++;
        end = items.length;
      }
    }
  }

  /** The stored position of a partition: where this consumer resumes. */
  static async storedPosition(runner: SqlRunner, owner: string, topic: string, partition: number, lock: boolean): Promise<bigint | undefined> {
    const result = await runner.query<{ next_offset: bigint }>(
      `select next_offset from consumer_positions where consumer = $1 and topic = $2 and partition = $3${lock ? ' for update' : ''}`,
      [owner, topic, partition],
    );
    return result.rows[0]?.next_offset;
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

  async #commitRange(batch: RecordBatch, items: Item[], start: number, end: number): Promise<void> {
    const { consumer } = this.#options;
    const startedAt = performance.now();
    let handled = 0;
    await this.#deps.db.transaction(async (tx) => {
      const position = await this.#lockPosition(tx, batch);
      const candidates = items.slice(start, end).filter((item) => position === undefined || item.record.offset >= position);
      const seen = await this.#processedIds(tx, candidates);
      const parked = await this.#parkedKeys(tx, candidates);
      const processed: string[] = [];
      const toPark: Item[] = [];
      const outgoing: OutgoingMessage[] = [];
      for (let i = start; i < end; i++) {
        const item = items[i]!;
        if (position !== undefined && item.record.offset < position) continue;
        if (item.undecodable) {
          outgoing.push(this.#deadLetter(item, item.undecodable.code, item.undecodable.reason));
          continue;
        }
        const event = item.event!;
        if (!this.#isForThisConsumer(item.record) || seen.has(event.envelope.eventId)) continue;
        if (!this.#options.readsRetryTiers && parked.has(keyHex(item))) {
          toPark.push(item);
          continue;
        }
        try {
          const emitted = await this.#runHandler(tx, event);
          outgoing.push(...(await this.#encodeEmitted(event, emitted)));
        } catch (error) {
          throw new RangeFailure(i, error);
        }
        seen.add(event.envelope.eventId);
        processed.push(event.envelope.eventId);
        handled++;
        if (this.#options.readsRetryTiers) await this.#releaseNextParked(tx, item, outgoing);
      }
      await this.#insertProcessed(tx, processed);
      await this.#park(tx, toPark);
      await this.#deps.outbox.write(tx, outgoing);
      await this.#storePosition(tx, batch, items[end - 1]!.record.offset + 1n);
    });
    this.#deps.faults?.reach(FaultPoints.consumerAfterCommit);
    const metrics = this.#deps.metrics;
    if (metrics && handled > 0) {
      metrics.eventsConsumed.inc({ group: consumer, topic: batch.topic }, handled);
      metrics.handlerDurationSeconds.observe({ group: consumer, topic: batch.topic }, (performance.now() - startedAt) / 1000 / handled);
    }
    for (const item of items.slice(start, end)) if (item.undecodable) this.#countDeadLetter(batch.topic, item.undecodable.code);
  }

  async #handleFailure(batch: RecordBatch, items: Item[], index: number, error: unknown): Promise<void> {
    const item = items[index]!;
    const { code, retryable, message } = classifyError(error);
    const { retry } = this.#options;
    this.#deps.logger.warn({ topic: batch.topic, partition: batch.partition, offset: String(item.record.offset), code, retryable, attempt: item.retry.attempt + 1 }, `handler failed: ${message}`);
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
        await this.#commitRange(batch, items, index, index + 1);
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
      const position = await this.#lockPosition(tx, batch);
      if (position !== undefined && item.record.offset < position) return;
      const outgoing = [...action.outgoing];
      if (action.parkKey) await tx.query(`insert into consumer_parked_keys (consumer, topic, key) values ($1, $2, $3) on conflict do nothing`, [this.#options.consumer, item.retry.origin.topic, item.record.key ?? Buffer.alloc(0)]);
      if (action.releaseNextParked) await this.#releaseNextParked(tx, item, outgoing);
      await this.#deps.outbox.write(tx, outgoing);
      await this.#storePosition(tx, batch, item.record.offset + 1n);
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

  async #runHandler(tx: SqlRunner, event: ConsumedEvent): Promise<EmittedEvent[]> {
    const emitted: EmittedEvent[] = [];
    const context: HandlerContext = { tx, emit: (next) => void emitted.push(next) };
    const { envelope } = event;
    await withLogContext({ correlationId: envelope.correlationId, eventId: envelope.eventId }, () => this.#options.handler(event, context));
    return emitted;
  }

  async #encodeEmitted(cause: ConsumedEvent, emitted: EmittedEvent[]): Promise<OutgoingMessage[]> {
    const messages: OutgoingMessage[] = [];
    for (const next of emitted) messages.push((await this.#encoder.encode(next, cause.envelope)).message);
    return messages;
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

  async #lockPosition(tx: SqlRunner, batch: RecordBatch): Promise<bigint | undefined> {
    return BatchProcessor.storedPosition(tx, this.#options.positionsOwner, batch.topic, batch.partition, true);
  }

  async #storePosition(tx: SqlRunner, batch: RecordBatch, nextOffset: bigint): Promise<void> {
    await tx.query(
      `insert into consumer_positions (consumer, topic, partition, next_offset) values ($1, $2, $3, $4)
         on conflict (consumer, topic, partition) do update set next_offset = greatest(consumer_positions.next_offset, excluded.next_offset), updated_at = now()`,
      [this.#options.positionsOwner, batch.topic, batch.partition, nextOffset],
    );
  }

  async #processedIds(tx: SqlRunner, items: Item[]): Promise<Set<string>> {
    const ids = items.flatMap((item) => (item.event ? [item.event.envelope.eventId] : []));
    if (ids.length === 0) return new Set();
    const result = await tx.query<{ event_id: string }>(`select event_id from consumer_processed_events where consumer = $1 and event_id = any($2::text[])`, [this.#options.consumer, ids]);
    return new Set(result.rows.map((row) => row.event_id));
  }

  async #parkedKeys(tx: SqlRunner, items: Item[]): Promise<Set<string>> {
    if (this.#options.retry.mode !== 'non-blocking' || this.#options.readsRetryTiers || items.length === 0) return new Set();
    const keys = [...new Set(items.map(keyHex))];
    const result = await tx.query<{ key_hex: string }>(
      `select encode(key, 'hex') as key_hex from consumer_parked_keys
         where consumer = $1 and topic = $2 and encode(key, 'hex') = any($3::text[]) for update`,
      [this.#options.consumer, items[0]!.retry.origin.topic, keys],
    );
    return new Set(result.rows.map((row) => row.key_hex));
  }

  async #insertProcessed(tx: SqlRunner, eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await tx.query(`insert into consumer_processed_events (consumer, event_id) select $1, unnest($2::text[]) on conflict do nothing`, [this.#options.consumer, eventIds]);
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

function keyHex(item: Item): string {
  return (item.record.key ?? Buffer.alloc(0)).toString('hex');
}
