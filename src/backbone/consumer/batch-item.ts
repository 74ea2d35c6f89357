import type { LogRecord, RecordBatch } from '../messaging/event-bus.ts';
import type { EventCodec } from '../codec/event-codec.ts';
import type { IdGenerator } from '../clock/clock.ts';
import type { Logger } from '../observability/logger.ts';
import { BackboneError, ErrorCodes, classifyError, type ErrorCode } from '../errors.ts';
import { envelopeFromHeaders } from '../envelope/envelope.ts';
import { retryStateOf, type RetryState } from './retry-headers.ts';
import type { ConsumedEvent } from './handler.ts';

/** One record of a batch on its way through: its event, or why it could not be decoded. */
export interface Item {
  record: LogRecord;
  retry: RetryState;
  event?: ConsumedEvent;
  undecodable?: { code: ErrorCode; reason: string };
}

/** A run of one partition batch's items, `start` to `end` (exclusive), applied in a transaction. */
export interface Part {
  batch: RecordBatch;
  items: Item[];
  start: number;
  end: number;
}

/** The items of `part`'s run. */
export function itemsOf(part: Part): Item[] {
  return part.items.slice(part.start, part.end);
}

/**
 * Decodes a record into its event. A record that cannot be decoded becomes an item to dead-letter
 * with the reason, except when the schema registry is unreachable: that is not the record's fault,
 * so it rejects and the batch is tried again.
 */
export async function decodeItem(record: LogRecord, deps: { codec: EventCodec; ids: IdGenerator; logger: Logger }): Promise<Item> {
  const retry = retryStateOf(record);
  try {
    const { envelope } = envelopeFromHeaders(record.headers, record.key);
    if (record.value === null) throw new BackboneError(ErrorCodes.UNDECODABLE_EVENT, 'record has no value');
    const payload = await deps.codec.decode(retry.origin.topic, envelope.eventType, record.value);
    let correlationId = envelope.correlationId;
    if (!correlationId) {
      correlationId = deps.ids.eventId();
      deps.logger.warn({ eventId: envelope.eventId, topic: record.topic, correlationId }, 'event without correlationId; generated one');
    }
    const event: ConsumedEvent = {
      envelope: { ...envelope, correlationId },
      payload,
      topic: retry.origin.topic,
      partition: record.partition,
      offset: record.offset,
      attempt: retry.attempt,
    };
    return { record, retry, event };
  } catch (error) {
    const { code, message } = classifyError(error);
    if (code === ErrorCodes.REGISTRY_UNAVAILABLE) throw error;
    return {
      record,
      retry,
      undecodable: { code: code === ErrorCodes.HANDLER_FAILED ? ErrorCodes.UNDECODABLE_EVENT : code, reason: message },
    };
  }
}
