import type { EventBus } from '../../src/backbone/messaging/event-bus.ts';
import type { StageSpec } from './stage.ts';
import type { StageStats } from './instruments.ts';
import type { CpuSample } from '../support/cpu.ts';

/**
 * One engine set up for the benchmark: the driver's own bus (to publish the input and read the
 * output), topics, and a way to start the stage under test. The phases (phases.ts) talk to
 * nothing else, so they measure both engines the same way.
 */
export interface Rig {
  readonly engine: 'kafka' | 'embedded';
  /** The driver's bus: publishes the input, reads and counts the output. */
  readonly bus: EventBus;
  /** Creates `names` (each with its dead-letter topic) with the run's partition count. */
  createTopics(names: readonly string[]): Promise<void>;
  startStage(spec: StageSpec): Promise<RunningStage>;
  /** Effect rows the stage of `group` wrote: exactly one per input event, or the run is invalid. */
  countEffects(group: string): Promise<number>;
  /** Cumulative CPU milliseconds per component; compare two samples with `cpuBetween`. */
  sampleCpu(): Promise<CpuSample>;
  close(): Promise<void>;
}

export interface RunningStage {
  /** The stage's counters as of its last report (at most half a second old on Kafka). */
  stats(): StageStats;
  /** Stops gracefully (finish in-flight batches, commit, leave the group); returns the final counters. */
  stop(): Promise<StageStats>;
}

/** The run's tuning, shared by every phase. */
export interface RigSettings {
  partitions: number;
  /** Connections in the stage's `pg` pool (Kafka engine). */
  poolSize: number;
  /** OutboxRelay `batchRows` (Kafka engine). */
  relayBatchRows: number;
  /** KafkaEventBus `fetchMaxWaitMs` of the stage and the driver; undefined keeps the bus's default. */
  fetchMaxWaitMs: number | undefined;
  /** Embedded engine: PGlite in a worker thread (as `npm start` runs it) or on the main thread. */
  pglite: 'worker' | 'in-process';
}
