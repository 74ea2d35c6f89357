import type { EventEnvelope } from '../envelope/envelope.ts';
import type { SqlRunner } from '../storage/database.ts';

/**
 * A consumer's business logic for one event. It runs inside the batch's database transaction:
 * its writes through `context.tx` and the events it `emit`s commit together with the consumer's
 * position, or not at all. It may run more than once for the same event (a batch rolled back
 * and re-run), so it must have no effect outside `tx`; effects outside the database carry an
 * idempotency key.
 *
 * Throw `permanentError(...)` to dead-letter the event at once, `transientError(...)` (or any
 * retryable BackboneError) to retry it with backoff. Anything else is treated as permanent.
 */
export type EventHandler<Payload = unknown> = (event: ConsumedEvent<Payload>, context: HandlerContext) => Promise<void>;

export interface ConsumedEvent<Payload = unknown> {
  envelope: EventEnvelope;
  payload: Payload;
  topic: string;
  partition: number;
  offset: bigint;
  /** How many times this event failed before this attempt (0 on first delivery). */
  attempt: number;
}

export interface HandlerContext {
  /** The batch's database transaction. */
  readonly tx: SqlRunner;
  /**
   * Emits an event, published if and only if the transaction commits (outbox). Its envelope is
   * derived from the event being handled: same correlationId, causationId = this eventId, a
   * child span of its traceparent.
   */
  emit(event: EmittedEvent): void;
}

export interface EmittedEvent {
  topic: string;
  eventType: string;
  /** Partition key, e.g. the account whose events must stay in order. */
  key: string;
  payload: unknown;
}
