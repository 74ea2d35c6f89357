import type { LogRecord } from '../messaging/event-bus.ts';
import { replayHeaders } from './replay-headers.ts';

/**
 * Replay filter. Contract: a dead letter replayed to its original topic for one consumer
 * (`replay-for-consumer`) reaches that consumer's handler only; every other consumer of the topic
 * passes over it (its position moves past it, nothing is applied, nothing is recorded). A record
 * without the header is for every consumer.
 */
export function isForConsumer(record: LogRecord, consumer: string): boolean {
  const target = record.headers[replayHeaders.forConsumer]?.toString();
  return target === undefined || target === consumer;
}
