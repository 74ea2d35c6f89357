export { InMemoryKeyValueStore, type KeyValueStore } from './key-value-store.ts';
export type { FiredTimer, Processor, ProcessorContext, StreamInput, StreamRecord, TimeDomain } from './processor.ts';
export { StreamTask, type ArmedTimer, type StreamTaskState } from './stream-task.ts';
export { runSimulated, type TimedInput } from './simulated-driver.ts';
export {
  StreamRunner,
  type StreamInputTopic,
  type StreamProcessorDefinition,
  type StreamRunnerDeps,
  type StreamRunnerOptions,
} from './stream-runner.ts';
export type { StoreCodec, StoreDefinition, StoreScope } from './store-codec.ts';
export { streamMigrations } from './migrations.ts';
export { watermarkKeys } from './watermark-keys.ts';
export { createStreamMetrics, type StreamMetrics } from './stream-metrics.ts';
