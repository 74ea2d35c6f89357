import type { FiredTimer, Processor, ProcessorContext, StreamInput, TimeDomain } from './processor.ts';

/**
 * Runs a processor over one partition: its inputs, its watermark and its timers, on processing
 * time given by the caller (the simulated clock of a replay, or the consumer's clock live).
 *
 * The rule of one instant: `runInstant(t, inputs)` first fires, each at its own instant, every
 * processing-time timer due before `t`; then hands the processor every input of `t` in order;
 * then fires the timers due at `t` (or before, armed meanwhile). So a record that arrives exactly
 * at a deadline is seen before the deadline fires. A watermark input fires, at once and in order
 * of (event time, arming), every event-time timer it reaches; timers of one instant fire in order
 * of (due time, arming).
 */
export class StreamTask<Input, Output> {
  readonly partition: number;
  readonly #processor: Processor<Input, Output>;
  readonly #emit: (output: Output) => void;
  readonly #timers = new Map<string, ArmedTimer>();
  #nowMs = Number.NEGATIVE_INFINITY;
  #watermarkMs = Number.NEGATIVE_INFINITY;
  #armed = 0;
  readonly #context: ProcessorContext<Output>;

  /** Timers armed, cancelled or fired since construction (their ids), for a store that writes back what changed. */
  readonly #touched = new Set<string>();

  /**
   * `restored` resumes a task whose time and timers were stored (the live runner, between
   * batches): its processing time, watermark, the armed timers it loaded and the next arming
   * sequence. A runner may restore only the timers that can fire in the coming instant; timers it
   * did not load are left as they are stored unless the processor arms or cancels them (see
   * `changedTimers`).
   */
  constructor(partition: number, processor: Processor<Input, Output>, emit: (output: Output) => void, restored?: StreamTaskState) {
    this.partition = partition;
    this.#processor = processor;
    this.#emit = emit;
    if (restored) {
      this.#nowMs = restored.nowMs;
      this.#watermarkMs = restored.watermarkMs;
      this.#armed = restored.nextSequence;
      for (const timer of restored.timers) this.#timers.set(timerId(timer.key, timer.name), { ...timer });
    }
    this.#context = {
      partition,
      nowMs: () => this.#nowMs,
      watermarkMs: () => this.#watermarkMs,
      emit: (output) => this.#emit(output),
      scheduleProcessingTime: (key, name, dueMs) => this.#arm(key, name, 'processing-time', dueMs),
      scheduleEventTime: (key, name, eventTimeMs) => this.#arm(key, name, 'event-time', eventTimeMs),
      cancel: (key, name) => {
        this.#timers.delete(timerId(key, name));
        this.#touched.add(timerId(key, name));
      },
    };
  }

  /** Processing time of the last instant run. */
  get nowMs(): number {
    return this.#nowMs;
  }

  get watermarkMs(): number {
    return this.#watermarkMs;
  }

  /** The next arming sequence (stored with the task's time, so timers armed later order after those stored). */
  get nextSequence(): number {
    return this.#armed;
  }

  /**
   * The timers armed, cancelled or fired since construction: `armed` are those now armed (to
   * write), `removed` the (key, name) pairs now disarmed (to delete).
   */
  changedTimers(): { armed: ArmedTimer[]; removed: { key: string; name: string }[] } {
    const armed: ArmedTimer[] = [];
    const removed: { key: string; name: string }[] = [];
    for (const id of this.#touched) {
      const timer = this.#timers.get(id);
      if (timer) armed.push(timer);
      else removed.push(keyAndNameOf(id));
    }
    return { armed, removed };
  }

  /** The earliest due time of an armed processing-time timer, if any. */
  nextDeadlineMs(): number | undefined {
    return this.#next('processing-time', Number.POSITIVE_INFINITY)?.dueMs;
  }

  /** Runs instant `instantMs` (never earlier than the last): timers due before it, its inputs, then its timers. */
  runInstant(instantMs: number, inputs: readonly StreamInput<Input>[] = []): void {
    if (instantMs < this.#nowMs) throw new Error(`processing time runs forward: instant ${instantMs} after ${this.#nowMs}`);
    this.#fireDeadlinesBefore(instantMs);
    this.#nowMs = instantMs;
    for (const input of inputs) {
      if (input.kind === 'watermark') this.#advanceWatermark(input.watermarkMs);
      else this.#processor.process({ key: input.key, value: input.value, arrivalMs: instantMs }, this.#context);
    }
    this.#fireDeadlinesBefore(instantMs + 1);
  }

  #fireDeadlinesBefore(limitMs: number): void {
    for (let timer = this.#next('processing-time', limitMs); timer; timer = this.#next('processing-time', limitMs)) {
      this.#nowMs = Math.max(this.#nowMs, timer.dueMs);
      this.#fire(timer);
    }
  }

  #advanceWatermark(watermarkMs: number): void {
    // A watermark never goes back: a lower one (a feed restarted, a reordered marker) says nothing new.
    if (watermarkMs <= this.#watermarkMs) return;
    this.#watermarkMs = watermarkMs;
    for (let timer = this.#next('event-time', watermarkMs + 1); timer; timer = this.#next('event-time', watermarkMs + 1)) this.#fire(timer);
  }

  #fire(timer: ArmedTimer): void {
    this.#timers.delete(timerId(timer.key, timer.name));
    this.#touched.add(timerId(timer.key, timer.name));
    this.#processor.onTimer(
      { key: timer.key, name: timer.name, domain: timer.domain, dueMs: timer.dueMs } satisfies FiredTimer,
      this.#context,
    );
  }

  #arm(key: string, name: string, domain: TimeDomain, dueMs: number): void {
    this.#timers.set(timerId(key, name), { key, name, domain, dueMs, sequence: this.#armed++ });
    this.#touched.add(timerId(key, name));
  }

  /** The first timer of `domain` due before `limitMs`, by (due, arming). A linear scan: timers are few per partition here; the database store indexes them. */
  #next(domain: TimeDomain, limitMs: number): ArmedTimer | undefined {
    let first: ArmedTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.domain !== domain || timer.dueMs >= limitMs) continue;
      if (!first || timer.dueMs < first.dueMs || (timer.dueMs === first.dueMs && timer.sequence < first.sequence)) first = timer;
    }
    return first;
  }
}

/** A timer as stored: `sequence` orders timers of one due time by arming. */
export interface ArmedTimer extends FiredTimer {
  readonly sequence: number;
}

/** What a task resumes from (see the constructor). */
export interface StreamTaskState {
  readonly nowMs: number;
  readonly watermarkMs: number;
  readonly nextSequence: number;
  readonly timers: readonly ArmedTimer[];
}

function timerId(key: string, name: string): string {
  return `${name}\u0000${key}`;
}

function keyAndNameOf(id: string): { key: string; name: string } {
  const separator = id.indexOf('\u0000');
  return { name: id.slice(0, separator), key: id.slice(separator + 1) };
}
