import type { LogRecord, MessageHeaders, OutgoingMessage } from '../messaging/event-bus.ts';
import { deadLetterTopicOf } from '../topics/topic-naming.ts';
import type { ErrorCode } from '../errors.ts';

/** Headers a dead-lettered record carries beside its original ones. */
export const deadLetterHeaders = {
  reason: 'dlq-reason',
  errorCode: 'dlq-error-code',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  failedAt: 'dlq-failed-at',
  attempts: 'dlq-attempts',
  consumerGroup: 'dlq-consumer-group',
} as const;

/** Where a record first entered the flow (a retry-tier record remembers its source). */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface DeadLetter {
  record: LogRecord;
  origin: RecordOrigin;
  code: ErrorCode;
  reason: string;
  attempts: number;
  consumer: string;
  failedAtMs: number;
}

/**
 * Dead letter. Contract: a record that cannot be decoded is dead-lettered in the transaction that
 * applies the records around it; a record whose handler failed with a non-retryable error, or
 * whose retries are exhausted (RETRIES_EXHAUSTED), in a transaction of its own that also moves the
 * position past it. Either way the partition carries on, and `paystream_events_dead_lettered_total`
 * counts the letter once it committed (see `deadLetterCodeOf`).
 *
 * The dead-letter message: the original key, value and headers byte for byte (so a fixed consumer
 * can replay it as it was), plus why, where from, when, after how many attempts and for whom.
 * Retry bookkeeping headers are dropped: a replay starts fresh.
 */
export function deadLetterMessage(letter: DeadLetter): OutgoingMessage {
  const headers: MessageHeaders = {};
  for (const [name, value] of Object.entries(letter.record.headers)) {
    if (!name.startsWith('retry-') && !name.startsWith('dlq-')) headers[name] = value;
  }
  headers[deadLetterHeaders.reason] = Buffer.from(letter.reason.slice(0, 2000));
  headers[deadLetterHeaders.errorCode] = Buffer.from(letter.code);
  headers[deadLetterHeaders.originalTopic] = Buffer.from(letter.origin.topic);
  headers[deadLetterHeaders.originalPartition] = Buffer.from(String(letter.origin.partition));
  headers[deadLetterHeaders.originalOffset] = Buffer.from(String(letter.origin.offset));
  headers[deadLetterHeaders.failedAt] = Buffer.from(new Date(letter.failedAtMs).toISOString());
  headers[deadLetterHeaders.attempts] = Buffer.from(String(letter.attempts));
  headers[deadLetterHeaders.consumerGroup] = Buffer.from(letter.consumer);
  return { topic: deadLetterTopicOf(letter.origin.topic), key: letter.record.key ?? Buffer.alloc(0), value: letter.record.value, headers };
}

/** The error code of a dead-letter message; undefined for any other message. */
export function deadLetterCodeOf(message: OutgoingMessage): string | undefined {
  return message.headers?.[deadLetterHeaders.errorCode]?.toString();
}
