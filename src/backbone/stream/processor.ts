/**
 * A keyed, event-time stream processor over the records of one partition, after Kafka Streams'
 * Processor API (`Processor`, `ProcessorContext`, punctuators), kept small: records carry a key, a
 * value and their arrival time; the partition's watermark is an input of its own; a processor arms
 * timers per key, on processing time (a deadline) or on event time (fires once the watermark
 * reaches it), and emits outputs. State lives in `KeyValueStore`s the processor is built with.
 */

/** One input of a partition, in arrival order: a keyed record, or the partition's watermark. */
export type StreamInput<Value> = { kind: 'record'; key: string; value: Value } | { kind: 'watermark'; watermarkMs: number };

/** A keyed record as the processor sees it; `arrivalMs` is processing time (the clock's). */
export interface StreamRecord<Value> {
  readonly key: string;
  readonly value: Value;
  readonly arrivalMs: number;
}

/** A timer that fired: the key and name it was armed with, and when it was due. */
export interface FiredTimer {
  readonly key: string;
  readonly name: string;
  readonly domain: TimeDomain;
  /** Processing-time ms for a deadline, event-time ms for an event-time timer. */
  readonly dueMs: number;
}

/** Processing time is the clock's (arrival, deadlines); event time is the records' own (the watermark's). */
export type TimeDomain = 'processing-time' | 'event-time';

export interface ProcessorContext<Output> {
  readonly partition: number;
  /** Processing time now: the instant being processed (a record's arrival or a timer's due time). */
  nowMs(): number;
  /** The partition's watermark: every record with event time ≤ it has arrived (-Infinity before the first). */
  watermarkMs(): number;
  /** Emits an output; outputs leave in the order emitted. */
  emit(output: Output): void;
  /**
   * Arms the timer (key, name) to fire at processing time `dueMs`, replacing any timer of that key
   * and name. A deadline in the past fires at the end of the current instant.
   */
  scheduleProcessingTime(key: string, name: string, dueMs: number): void;
  /** Arms the timer (key, name) to fire once the watermark is ≥ `eventTimeMs`, replacing any of that key and name. */
  scheduleEventTime(key: string, name: string, eventTimeMs: number): void;
  /** Disarms the timer (key, name), in either domain; nothing if none is armed. */
  cancel(key: string, name: string): void;
}

/**
 * The processor's contract: `process` and `onTimer` run one at a time, never concurrently, and see
 * the effects of every call before them. Within one instant of processing time the task hands it
 * every record of that instant, in arrival order, before any timer due at that instant (the rule of
 * one instant, see stream-task.ts).
 */
export interface Processor<Input, Output> {
  process(record: StreamRecord<Input>, context: ProcessorContext<Output>): void;
  onTimer(timer: FiredTimer, context: ProcessorContext<Output>): void;
}
