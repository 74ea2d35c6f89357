import type { OutgoingMessage } from '../messaging/event-bus.ts';
import type { BackboneMetrics } from '../observability/metrics.ts';
import { deadLetterCodeOf } from './dead-letter.ts';
import type { ConsumedEvent } from './handler.ts';

/**
 * A consumer's counters and histograms, labelled with its group. Contract: a record is counted
 * once its transaction committed (applied, retried or dead-lettered), never for a transaction
 * that rolled back; without `metrics` nothing is counted.
 */
export class ConsumerMetrics {
  readonly #metrics: BackboneMetrics | undefined;
  readonly #group: string;

  constructor(metrics: BackboneMetrics | undefined, group: string) {
    this.#metrics = metrics;
    this.#group = group;
  }

  batch(topic: string, records: number): void {
    this.#metrics?.batchSize.observe({ group: this.#group, topic }, records);
  }

  /** Events a transaction handled, and its time shared out among them. */
  applied(handled: readonly ConsumedEvent[], elapsedMs: number): void {
    if (!this.#metrics || handled.length === 0) return;
    const secondsPerEvent = elapsedMs / 1000 / handled.length;
    for (const [topic, events] of Map.groupBy(handled, (event) => event.topic)) {
      this.#metrics.eventsConsumed.inc({ group: this.#group, topic }, events.length);
      this.#metrics.handlerDurationSeconds.observe({ group: this.#group, topic }, secondsPerEvent);
    }
  }

  retried(topic: string): void {
    this.#metrics?.eventsRetried.inc({ group: this.#group, topic });
  }

  deadLettered(topic: string, code: string): void {
    this.#metrics?.eventsDeadLettered.inc({ group: this.#group, topic, code });
  }

  /** Counts the dead letters among `messages` (a failed record's). */
  deadLettersIn(messages: readonly OutgoingMessage[], topic: string): void {
    for (const message of messages) {
      const code = deadLetterCodeOf(message);
      if (code) this.deadLettered(topic, code);
    }
  }
}
