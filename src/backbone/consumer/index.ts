export { ConsumerRunner, type ConsumerOptions, type ConsumerRunnerDeps } from './consumer-runner.ts';
export { BatchProcessor, type Deduplication, type RetryPolicy } from './batch-processor.ts';
export {
  EventFailure,
  handleInTransaction,
  perEvent,
  type BatchEventHandler,
  type BatchHandlerContext,
  type ConsumedEvent,
  type EmittedEvent,
  type EventHandler,
  type HandlerContext,
} from './handler.ts';
export { BatchCoalescer } from './batch-coalescer.ts';
export { eventLogContext, type EventLogFields } from './event-log-context.ts';
export { deadLetterHeaders, deadLetterMessage, type DeadLetter } from './dead-letter.ts';
export { retryHeaders } from './retry-headers.ts';
export { replayHeaders } from './replay-headers.ts';
export { consumerMigrations } from './migrations.ts';
export { pruneProcessedEvents, processedEventsRetentionMsDefault } from './pruning.ts';
