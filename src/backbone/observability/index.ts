export { currentLogContext, withLogContext, type LogContext } from './log-context.ts';
export { createLogger, defaultRedactPaths, type Logger, type LoggerOptions } from './logger.ts';
export {
  batchSizeBuckets,
  createBackboneMetrics,
  createMetricsRegistry,
  handlerDurationBucketsSeconds,
  type BackboneMetrics,
  type MetricsRegistryOptions,
} from './metrics.ts';
export { createLagCollector, partitionLags, type LagCollector, type LagCollectorOptions, type PartitionLag } from './lag.ts';
export { EndOffsetHistory } from './offset-history.ts';
export {
  childTraceparent,
  formatTraceparent,
  isSampled,
  newTraceparent,
  parseTraceparent,
  traceparentHeader,
  type RandomBytes,
  type TraceContext,
} from './tracing.ts';
