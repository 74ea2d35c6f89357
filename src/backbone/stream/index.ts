export { InMemoryKeyValueStore, type KeyValueStore } from './key-value-store.ts';
export type { FiredTimer, Processor, ProcessorContext, StreamInput, StreamRecord, TimeDomain } from './processor.ts';
export { StreamTask } from './stream-task.ts';
export { runSimulated, type TimedInput } from './simulated-driver.ts';
