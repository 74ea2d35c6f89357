import type { Database } from '../storage/database.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { EventCodec } from '../codec/event-codec.ts';
import type { Clock, IdGenerator } from '../clock/clock.ts';
import type { BackboneMetrics } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { FaultInjector } from '../faults.ts';
import type { EventLogFields } from './event-log-context.ts';
import type { BatchEventHandler } from './handler.ts';
import type { Deduplication } from './deduplication.ts';
import type { RetryPolicy } from './retry-policy.ts';

/** What a `BatchProcessor` works with: the consumer's database, its outbox, codec, clock and ids. */
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
  /** See `ConsumerOptions.produces`. Unset: the handler may emit to any topic. */
  produces?: readonly string[];
  /** True for the subscription that reads the retry-tier topics. */
  readsRetryTiers: boolean;
  /** Aborted on shutdown: stops waiting for retries. */
  signal: AbortSignal;
}
