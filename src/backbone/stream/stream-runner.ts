import type { OutgoingMessage } from '../messaging/event-bus.ts';
import type { SqlRunner } from '../storage/database.ts';
import type { TopicAdmin } from '../topics/topic-admin.ts';
import { BackboneError, ErrorCodes, permanentError } from '../errors.ts';
import { EventEncoder, type NewEvent } from '../envelope/event-encoder.ts';
import type { ConsumerOptions } from '../consumer/consumer-runner.ts';
import type { Database } from '../storage/database.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { EventCodec } from '../codec/event-codec.ts';
import type { Clock, IdGenerator } from '../clock/clock.ts';
import type { FaultInjector } from '../faults.ts';
import { EventFailure, type BatchEventHandler, type ConsumedEvent } from '../consumer/handler.ts';
import { NotifiedLoop } from '../concurrency/notified-loop.ts';
import { FaultPoints } from '../faults.ts';
import type { KeyValueStore } from './key-value-store.ts';
import type { FiredTimer, Processor, ProcessorContext, StreamInput, StreamRecord } from './processor.ts';
import { StreamTask } from './stream-task.ts';
import { BatchStore } from './batch-store.ts';
import type { StoreDefinition } from './store-codec.ts';
import {
  loadDueTimers,
  loadState,
  lockPartitions,
  nextDeadlineMs,
  partitionsWithDueDeadlines,
  writeBack,
  type PartitionRow,
  type StoredTimer,
  type WriteBack,
} from './stream-tables.ts';

/** One input topic of a processor and how its events become the stream's inputs. */
export interface StreamInputTopic<Input> {
  readonly topic: string;
  /**
   * The stream input an event is: a keyed record (its key must be the event's partition key, so
   * the record is in its key's partition), or the partition's watermark; undefined to ignore it.
   * Throws for a malformed event, which is dead-lettered.
   */
  toInput(event: ConsumedEvent): StreamInput<Input> | undefined;
}

/** A processor as the live runner runs it: its inputs, stores, how it is built and what its outputs publish. */
export interface StreamProcessorDefinition<Input, Output, Stores extends Record<string, unknown>> {
  /** Owns the processor's rows and names its consumer group. */
  readonly name: string;
  /** Co-partitioned topics (same partition count, checked at start), keyed alike. */
  readonly inputs: readonly StreamInputTopic<Input>[];
  readonly stores: { readonly [Name in keyof Stores]: StoreDefinition<Stores[Name]> };
  /** The processor of one partition over that partition's stores; built per batch, so it must keep nothing between calls. */
  build(stores: { [Name in keyof Stores]: KeyValueStore<Stores[Name]> }, partition: number): Processor<Input, Output>;
  /**
   * The event an output publishes, or undefined for an output that is not published (kept by
   * `record` only); `correlationId` is used for an output of a timer (an output of a record
   * inherits the record's envelope).
   */
  toEvent(output: Output): { event: NewEvent; correlationId: string } | undefined;
  /**
   * Keeps the batch's outputs in the application's own tables (a projection a route reads), in the
   * batch's transaction: a fixed number of statements for the whole batch, not one per output.
   */
  record?(tx: SqlRunner, outputs: readonly Output[]): Promise<void>;
}

/** What the runner writes with: the consumer's database and outbox, the codec of its outputs, the clock. */
export interface StreamRunnerDeps {
  db: Database;
  outbox: Outbox;
  codec: EventCodec;
  clock: Clock;
  ids: IdGenerator;
  /** Reads the input topics' partition counts (co-partitioning). */
  admin: Pick<TopicAdmin, 'describeTopics'>;
  /** Crash points for fault-injection tests; unset in production. */
  faults?: FaultInjector;
}

export interface StreamRunnerOptions {
  /** Longest sleep of the timer worker between rounds. Default 1000. */
  timerPollMsMax?: number;
}

/**
 * Runs a keyed stream processor live, exactly-once, on either engine: a `BatchEventHandler` for a
 * `ConsumerRunner` over its co-partitioned input topics (`consumerOptions`), plus a timer worker
 * for deadlines (`startTimers`).
 *
 * Each batch is one transaction of a fixed number of statements (ADR-8): lock the batch's
 * partitions' `stream_partitions` rows in ascending order (two instances, or an instance and the
 * timer worker, never run one partition at once); load the timers that can fire in this instant and
 * the state of the keys the batch touches; run each partition as ONE instant of processing time
 * (the clock at the batch's start, never behind the partition's stored time) through `StreamTask`,
 * whose rule of one instant is the replay's; then write back the changed state, timers and
 * partition rows, and the outputs to the outbox. The consumer's positions commit in the same
 * transaction (the consumer runner's), so a batch rolled back leaves nothing, and a batch re-run
 * finds its state as before it. Deduplication is `handler`: a redelivered offset is skipped by
 * position, and a record published again at a new offset must be harmless to the processor (the
 * authorization processor drops a request id it has seen and a state version not above the
 * highest), so no processed ids are looked up or recorded.
 *
 * The timer worker (`fireDueTimers`, looped by `start`) runs each partition with a deadline due on
 * the clock as an instant with no inputs, in its own transaction under the same lock: deadlines
 * fire where no record arrives any more.
 */
export class StreamRunner<Input, Output, Stores extends Record<string, unknown>> {
  readonly #deps: StreamRunnerDeps;
  readonly #definition: StreamProcessorDefinition<Input, Output, Stores>;
  readonly #encoder: EventEncoder;
  readonly #inputs: Map<string, StreamInputTopic<Input>>;
  readonly #timerPollMsMax: number;
  #timerLoop: NotifiedLoop | undefined;

  constructor(deps: StreamRunnerDeps, definition: StreamProcessorDefinition<Input, Output, Stores>, options: StreamRunnerOptions = {}) {
    this.#deps = deps;
    this.#definition = definition;
    this.#encoder = new EventEncoder(deps.codec, deps.ids, deps.clock);
    this.#inputs = new Map(definition.inputs.map((input) => [input.topic, input]));
    this.#timerPollMsMax = options.timerPollMsMax ?? 1000;
  }

  /**
   * The consumer that feeds the processor, for a `ConsumerRunner` (a service lists it among its
   * consumers): group = the processor's name, its input topics, this runner's handler, and
   * deduplication left to the handler (see the class comment). `extra` sets batch sizes and retry.
   */
  consumerOptions(extra: Omit<ConsumerOptions, 'name' | 'topics' | 'handler' | 'batchHandler' | 'deduplication'> = {}): ConsumerOptions {
    return {
      ...extra,
      name: this.#definition.name,
      topics: this.#definition.inputs.map((input) => input.topic),
      batchHandler: this.handler,
      deduplication: 'handler',
    };
  }

  /** The consumer's batch handler (the consumer runner calls it; tests may too, in a transaction). */
  readonly handler: BatchEventHandler = async (events, context) => {
    const nowMs = this.#deps.clock.nowMs();
    const inputs = new Map<number, StreamInput<Caused<Input>>[]>();
    for (const [index, event] of events.entries()) {
      const input = this.#toInput(event, index);
      if (!input) continue;
      const partitionInputs = inputs.get(event.partition) ?? [];
      partitionInputs.push(
        input.kind === 'record' ? { kind: 'record', key: input.key, value: { value: input.value, cause: event } } : input,
      );
      inputs.set(event.partition, partitionInputs);
    }
    if (inputs.size === 0) return;
    await this.#runInstants(context.tx, inputs, nowMs);
    this.#deps.faults?.reach(FaultPoints.streamBeforeCommit, this.#definition.name);
  };

  /** Fails unless the input topics exist with one partition count; resolves to that count. */
  async checkCoPartitioned(): Promise<number> {
    const topics = this.#definition.inputs.map((input) => input.topic);
    const described = await this.#deps.admin.describeTopics(topics);
    for (const topic of topics)
      if (!described.has(topic))
        throw new BackboneError(
          ErrorCodes.INVALID_OPTIONS,
          `stream processor ${this.#definition.name}: its input topic ${topic} does not exist`,
        );
    const [first, ...rest] = topics.map((topic) => ({ topic, partitions: described.get(topic)!.partitions }));
    for (const other of rest)
      if (other.partitions !== first!.partitions)
        throw new BackboneError(
          ErrorCodes.INVALID_OPTIONS,
          `stream processor ${this.#definition.name}: its inputs are not co-partitioned: ${first!.topic} has ${first!.partitions} partitions, ${other.topic} has ${other.partitions}; a key's records must meet in one partition`,
        );
    return first!.partitions;
  }

  /**
   * Checks co-partitioning, then starts the timer worker: a loop that runs the partitions with due
   * deadlines and sleeps until the next one is due (at most `timerPollMsMax`). Run it on every
   * instance: the partitions' locks keep two from running one partition at once.
   */
  async startTimers(onError: (error: unknown) => void): Promise<void> {
    await this.checkCoPartitioned();
    this.#timerLoop ??= new NotifiedLoop({
      db: this.#deps.db,
      round: async () => {
        await this.fireDueTimers();
        const dueMs = await nextDeadlineMs(this.#deps.db, this.#definition.name);
        if (dueMs === undefined) return this.#timerPollMsMax;
        return Math.max(0, Math.min(this.#timerPollMsMax, dueMs - this.#deps.clock.nowMs()));
      },
      failureBackoffMs: this.#timerPollMsMax,
      onError,
    });
    await this.#timerLoop.start();
  }

  /** Stops the timer worker (graceful: the current round finishes). */
  async stop(): Promise<void> {
    await this.#timerLoop?.stop();
  }

  /**
   * Runs, each in a transaction of its own, every partition with a deadline due on the clock as an
   * instant with no inputs; resolves to how many partitions ran. The timer worker calls it; tests
   * call it after moving their clock forward.
   */
  async fireDueTimers(): Promise<number> {
    const nowMs = this.#deps.clock.nowMs();
    const partitions = await partitionsWithDueDeadlines(this.#deps.db, this.#definition.name, nowMs);
    for (const partition of partitions) {
      await this.#deps.db.transaction(async (tx) => {
        await this.#runInstants(tx, new Map([[partition, []]]), nowMs);
        this.#deps.faults?.reach(FaultPoints.streamTimerBeforeCommit, `${this.#definition.name}/${partition}`);
      });
    }
    return partitions.length;
  }

  #toInput(event: ConsumedEvent, index: number): StreamInput<Input> | undefined {
    const topic = this.#inputs.get(event.topic);
    if (!topic) throw new EventFailure(index, permanentError(`stream processor ${this.#definition.name} does not read ${event.topic}`));
    try {
      return topic.toInput(event);
    } catch (error) {
      throw new EventFailure(index, error instanceof BackboneError ? error : permanentError(`malformed ${event.topic} event`, error));
    }
  }

  /** Runs one instant per partition in `tx` (the batch's or the timer worker's) and writes everything back. */
  async #runInstants(tx: SqlRunner, inputs: Map<number, StreamInput<Caused<Input>>[]>, clockMs: number): Promise<void> {
    const name = this.#definition.name;
    const partitions = [...inputs.keys()];
    const rows = await lockPartitions(tx, name, partitions);
    const instantMs = new Map(partitions.map((partition) => [partition, Math.max(clockMs, rows.get(partition)!.nowMs)]));
    const watermarkMs = Math.max(
      ...partitions.map((partition) => rows.get(partition)!.watermarkMs),
      ...[...inputs.values()].flat().map((input) => (input.kind === 'watermark' ? input.watermarkMs : Number.NEGATIVE_INFINITY)),
    );
    const timers = await loadDueTimers(tx, name, partitions, Math.max(...instantMs.values()), watermarkMs);
    const keys = new Set<string>(timers.map((timer) => timer.key));
    for (const partitionInputs of inputs.values()) for (const input of partitionInputs) if (input.kind === 'record') keys.add(input.key);
    const stored = await loadState(tx, name, partitions, [...keys]);
    const changes: WriteBack = { statePut: [], stateDeleted: [], timersArmed: [], timersRemoved: [], partitions: [] };
    const outputs: { output: Output; cause: ConsumedEvent | undefined }[] = [];
    for (const partition of partitions.sort((a, b) => a - b)) {
      const row = rows.get(partition)!;
      const run = this.#partitionRun(row, stored, timers, outputs);
      run.task.runInstant(instantMs.get(partition)!, inputs.get(partition));
      this.#collect(run, row, changes);
    }
    await writeBack(tx, name, changes);
    if (outputs.length === 0) return;
    await this.#definition.record?.(
      tx,
      outputs.map(({ output }) => output),
    );
    await this.#deps.outbox.write(tx, await this.#encodeOutputs(outputs));
  }

  #partitionRun(
    row: PartitionRow,
    stored: readonly { store: string; partition: number; key: string; value: string }[],
    timers: readonly StoredTimer[],
    outputs: { output: Output; cause: ConsumedEvent | undefined }[],
  ): PartitionRun<Input, Output> {
    const stores: Record<string, BatchStore<unknown>> = {};
    for (const [storeName, definition] of Object.entries(this.#definition.stores) as [string, StoreDefinition<unknown>][]) {
      const loaded = new Map<string, unknown>();
      if (definition.scope === 'partition') {
        for (const [key, text] of Object.entries(row.partitionState[storeName] ?? {})) loaded.set(key, definition.codec.decode(text));
      } else {
        for (const value of stored)
          if (value.store === storeName && value.partition === row.partition) loaded.set(value.key, definition.codec.decode(value.value));
      }
      stores[storeName] = new BatchStore(loaded, definition.scope === 'partition');
    }
    const processor = this.#definition.build(stores as { [Name in keyof Stores]: KeyValueStore<Stores[Name]> }, row.partition);
    const caused = withCause(processor);
    const task = new StreamTask<Caused<Input>, Output>(
      row.partition,
      caused.processor,
      (output) => outputs.push({ output, cause: caused.cause() }),
      {
        nowMs: row.nowMs,
        watermarkMs: row.watermarkMs,
        nextSequence: row.nextSequence,
        timers: timers.filter((timer) => timer.partition === row.partition),
      },
    );
    return { task, stores };
  }

  #collect(run: PartitionRun<Input, Output>, row: PartitionRow, changes: WriteBack): void {
    const partition = row.partition;
    const partitionState: Record<string, Record<string, string>> = { ...row.partitionState };
    for (const [storeName, definition] of Object.entries(this.#definition.stores) as [string, StoreDefinition<unknown>][]) {
      const store = run.stores[storeName]!;
      if (definition.scope === 'partition') {
        partitionState[storeName] = Object.fromEntries([...store.values()].map(([key, value]) => [key, definition.codec.encode(value)]));
        continue;
      }
      const { put, deleted } = store.changes();
      for (const [key, value] of put) changes.statePut.push({ store: storeName, partition, key, value: definition.codec.encode(value) });
      for (const key of deleted) changes.stateDeleted.push({ store: storeName, partition, key });
    }
    const { armed, removed } = run.task.changedTimers();
    for (const timer of armed) changes.timersArmed.push({ ...timer, partition });
    for (const timer of removed) changes.timersRemoved.push({ ...timer, partition });
    changes.partitions.push({
      partition,
      nowMs: run.task.nowMs,
      watermarkMs: run.task.watermarkMs,
      nextSequence: run.task.nextSequence,
      partitionState: JSON.stringify(partitionState),
    });
  }

  async #encodeOutputs(outputs: readonly { output: Output; cause: ConsumedEvent | undefined }[]): Promise<OutgoingMessage[]> {
    const messages: OutgoingMessage[] = [];
    for (const { output, cause } of outputs) {
      const published = this.#definition.toEvent(output);
      if (!published) continue;
      const { event, correlationId } = published;
      messages.push((await this.#encoder.encode(event, cause ? cause.envelope : { correlationId })).message);
    }
    return messages;
  }
}

/** A record's value with the event it came in, so an output of `process` inherits that event's envelope. */
interface Caused<Input> {
  readonly value: Input;
  readonly cause: ConsumedEvent;
}

interface PartitionRun<Input, Output> {
  readonly task: StreamTask<Caused<Input>, Output>;
  readonly stores: Record<string, BatchStore<unknown>>;
}

/** Wraps a processor so that the event of the record being processed is known while it emits. */
function withCause<Input, Output>(
  inner: Processor<Input, Output>,
): { processor: Processor<Caused<Input>, Output>; cause(): ConsumedEvent | undefined } {
  let current: ConsumedEvent | undefined;
  return {
    cause: () => current,
    processor: {
      process(record: StreamRecord<Caused<Input>>, context: ProcessorContext<Output>): void {
        current = record.value.cause;
        try {
          inner.process({ key: record.key, value: record.value.value, arrivalMs: record.arrivalMs }, context);
        } finally {
          current = undefined;
        }
      },
      onTimer(timer: FiredTimer, context: ProcessorContext<Output>): void {
        inner.onTimer(timer, context);
      },
    },
  };
}
