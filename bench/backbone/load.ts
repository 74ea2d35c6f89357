/**
 * The driver's load: input events published as a gateway would publish them (EventEncoder: a
 * fresh UUIDv7, correlation id, traceparent, JSON payload), either all up front (closed-loop
 * throughput) or at a fixed rate (latency).
 *
 * The driver never has two `publish` calls in flight at once. With @platformatic/kafka 2.12.1,
 * concurrent sends of the idempotent producer hit the broker out of sequence order
 * (OutOfOrderSequenceException in the broker log); the library then "recovers" with a new producer
 * id and re-sends whole requests, partitions already written included, so the log gets duplicates
 * (2 concurrent publishers of 8,000 events left 8,824 records). The stage would drop them by event
 * id, but they would inflate its work and the latency, so the load goes out one publish at a time,
 * what arrives meanwhile riding along with the next (as a producer's accumulator does).
 */
import { EventEncoder } from '../../src/backbone/envelope/event-encoder.ts';
import { JsonCodec } from '../../src/backbone/codec/json-codec.ts';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import type { EventBus, OutgoingMessage } from '../../src/backbone/messaging/event-bus.ts';
import { formatCount, progress, sleep } from '../support/progress.ts';
import { epochMs } from '../support/latency.ts';
import { inputEventType, type BenchInput } from './stage.ts';

/** Keys spread over this many accounts: every partition gets a steady share. */
const accounts = 1000;
/** The paced load hands what is due to the bus every this many ms (a producer's linger). */
const tickMs = 5;

const encoder = new EventEncoder(new JsonCodec(), uuidV7Ids, systemClock);

async function inputMessage(topic: string, seq: number): Promise<OutgoingMessage> {
  const account = `account-${seq % accounts}`;
  const payload: BenchInput = { seq, account, amountMinor: BigInt(1000 + (seq % 99_000)), currency: 'EUR', sentAtMs: epochMs() };
  return (await encoder.encode({ topic, eventType: inputEventType, key: account, payload }, { correlationId: `bench-${seq}` })).message;
}

/** Publishes seq 0..count-1 as fast as the bus takes them, in batches of 1000 (the next one encoded while the last is sent). */
export async function preloadInput(bus: EventBus, topic: string, count: number): Promise<void> {
  const batchSize = 1000;
  const startedAtMs = performance.now();
  let lastReportMs = startedAtMs;
  let sending: Promise<void> = Promise.resolve();
  for (let from = 0; from < count; from += batchSize) {
    const to = Math.min(count, from + batchSize);
    const messages: OutgoingMessage[] = [];
    for (let seq = from; seq < to; seq++) messages.push(await inputMessage(topic, seq));
    await sending;
    sending = bus.publish(messages);
    if (performance.now() - lastReportMs > 2000) {
      lastReportMs = performance.now();
      progress(`  pre-loaded ${formatCount(from)} / ${formatCount(count)}`);
    }
  }
  await sending;
  progress(`  pre-loaded ${formatCount(count)} input events in ${((performance.now() - startedAtMs) / 1000).toFixed(1)} s`);
}

export interface PacedLoad {
  sent: number;
  /** How late the driver's ticks were against the schedule, at worst (its own event loop). */
  maxScheduleLagMs: number;
  /** Events waiting for the previous publish to finish, at most (back-pressure from the bus). */
  maxQueued: number;
  publishes: number;
}

/**
 * Publishes `ratePerSec` events per second for `durationMs`: every `tickMs` the events due by then
 * are handed to the bus (a gateway batching its requests, like a producer's linger). Each
 * event carries the time (`epochMs`) it was handed over, so end-to-end latency counts
 * the wait behind a slow publish too.
 */
export async function publishAtRate(bus: EventBus, topic: string, ratePerSec: number, durationMs: number): Promise<PacedLoad> {
  const total = Math.floor((ratePerSec * durationMs) / 1000);
  const publisher = new SerialPublisher(bus);
  const load: PacedLoad = { sent: 0, maxScheduleLagMs: 0, maxQueued: 0, publishes: 0 };
  const startedAtMs = performance.now();
  let lastReportMs = startedAtMs;
  while (load.sent < total) {
    publisher.throwIfFailed();
    const nowMs = performance.now();
    const due = Math.min(total, Math.floor(((nowMs - startedAtMs) * ratePerSec) / 1000));
    if (due > load.sent) {
      load.maxScheduleLagMs = Math.max(load.maxScheduleLagMs, nowMs - (startedAtMs + (load.sent * 1000) / ratePerSec) - tickMs);
      const messages: OutgoingMessage[] = [];
      for (let seq = load.sent; seq < due; seq++) messages.push(await inputMessage(topic, seq));
      load.sent = due;
      publisher.enqueue(messages);
      load.maxQueued = Math.max(load.maxQueued, publisher.queued);
    }
    if (nowMs - lastReportMs >= 5000) {
      lastReportMs = nowMs;
      progress(`  published ${formatCount(load.sent)} / ${formatCount(total)} at ${formatCount(ratePerSec)}/s`);
    }
    await sleep(tickMs);
  }
  await publisher.flush();
  load.publishes = publisher.publishes;
  return load;
}

/** One `publish` in flight at a time; messages enqueued meanwhile go out together in the next. */
class SerialPublisher {
  readonly #bus: EventBus;
  #pending: OutgoingMessage[] = [];
  #running: Promise<void> | null = null;
  #failure: { error: unknown } | null = null;
  publishes = 0;

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  get queued(): number {
    return this.#pending.length;
  }

  enqueue(messages: OutgoingMessage[]): void {
    this.#pending.push(...messages);
    this.#running ??= this.#pump().finally(() => (this.#running = null));
  }

  throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    this.throwIfFailed();
  }

  async #pump(): Promise<void> {
    while (this.#pending.length > 0 && !this.#failure) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        await this.#bus.publish(batch);
        this.publishes++;
      } catch (error) {
        this.#failure = { error };
      }
    }
  }
}
