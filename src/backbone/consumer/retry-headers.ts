import type { LogRecord, MessageHeaders, OutgoingMessage } from '../messaging/event-bus.ts';
import { retryTopicOf } from '../topics/topic-naming.ts';
import type { RecordOrigin } from './dead-letter.ts';

/** Headers of a record sent to a retry tier (non-blocking retry). */
export const retryHeaders = {
  attempt: 'retry-attempt',
  dueAt: 'retry-due-at',
  tier: 'retry-tier',
  originalTopic: 'retry-original-topic',
  originalPartition: 'retry-original-partition',
  originalOffset: 'retry-original-offset',
} as const;

export interface RetryState {
  origin: RecordOrigin;
  /** Failures so far. */
  attempt: number;
  /** Index into the delays of the tier this record is in. */
  tier: number;
  dueAtMs: number;
}

/** The retry bookkeeping of a record, or a fresh state for a record from its source topic. */
export function retryStateOf(record: LogRecord): RetryState {
  const text = (name: string) => record.headers[name]?.toString();
  const originalTopic = text(retryHeaders.originalTopic);
  if (!originalTopic)
    return { origin: { topic: record.topic, partition: record.partition, offset: record.offset }, attempt: 0, tier: -1, dueAtMs: 0 };
  return {
    origin: {
      topic: originalTopic,
      partition: Number(text(retryHeaders.originalPartition)),
      offset: BigInt(text(retryHeaders.originalOffset) ?? '0'),
    },
    attempt: Number(text(retryHeaders.attempt) ?? '0'),
    tier: Number(text(retryHeaders.tier) ?? '0'),
    dueAtMs: Number(text(retryHeaders.dueAt) ?? '0'),
  };
}

/**
 * The message that puts `record` into retry tier `tier` (the topic of that tier's delay), due at
 * `dueAtMs` (a parked event released behind a finished head is due at once).
 */
export function retryMessage(
  record: LogRecord,
  state: RetryState,
  tier: number,
  delaysMs: readonly number[],
  dueAtMs: number,
): OutgoingMessage {
  const delayMs = delaysMs[tier]!;
  const headers: MessageHeaders = { ...record.headers };
  headers[retryHeaders.attempt] = Buffer.from(String(state.attempt));
  headers[retryHeaders.dueAt] = Buffer.from(String(dueAtMs));
  headers[retryHeaders.tier] = Buffer.from(String(tier));
  headers[retryHeaders.originalTopic] = Buffer.from(state.origin.topic);
  headers[retryHeaders.originalPartition] = Buffer.from(String(state.origin.partition));
  headers[retryHeaders.originalOffset] = Buffer.from(String(state.origin.offset));
  return { topic: retryTopicOf(state.origin.topic, delayMs), key: record.key ?? Buffer.alloc(0), value: record.value, headers };
}
