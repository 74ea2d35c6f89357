import type { EventEnvelope } from '../envelope/envelope.ts';
import type { Database, SqlRunner } from '../storage/database.ts';

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

/**
 * A consumer's business logic for a batch of events, for handlers that write with set-based
 * statements (one multi-row insert for the batch instead of one insert per event). The events are
 * those of one transaction: one or more partitions' records, each partition's in offset order,
 * already decoded, deduplicated and filtered (parked keys, replays for other consumers). The same
 * rules hold as for `EventHandler`, per event: writes through `tx`, events through `emit` with the
 * event that caused them.
 *
 * If it throws, the transaction rolls back and the processor finds the event at fault by handing
 * the events over again one at a time; a handler must therefore give the same outcome for an event
 * alone as within a batch. An error that names the event (`EventFailure`) skips that search.
 */
export type BatchEventHandler<Payload = unknown> = (
  events: readonly ConsumedEvent<Payload>[],
  context: BatchHandlerContext,
) => Promise<void>;

export interface BatchHandlerContext {
  /** The batch's database transaction. */
  readonly tx: SqlRunner;
  /** Emits an event caused by `cause` (one of the batch's events); see `HandlerContext.emit`. */
  emit(cause: ConsumedEvent, event: EmittedEvent): void;
  /** See `HandlerContext.afterCommit`. */
  afterCommit(effect: () => Promise<void>): void;
}

/** Thrown by a batch handler to say which of its events failed (its index in `events`). */
export class EventFailure extends Error {
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super('handler failed', { cause });
    this.index = index;
  }
}

/** A per-event handler run over a batch, event after event, naming the event that fails. */
export function perEvent<Payload>(
  handler: EventHandler<Payload>,
  around: <T>(event: ConsumedEvent<Payload>, run: () => Promise<T>) => Promise<T> = (_event, run) => run(),
): BatchEventHandler<Payload> {
  return async (events, context) => {
    for (const [index, event] of events.entries()) {
      try {
        await around(event, () =>
          handler(event, {
            tx: context.tx,
            emit: (next) => context.emit(event, next),
            afterCommit: (effect) => context.afterCommit(effect),
          }),
        );
      } catch (error) {
        throw new EventFailure(index, error);
      }
    }
  };
}

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
  /**
   * Runs `effect` once the transaction has committed (never if it rolls back), for a call to the
   * outside world that must not happen before the database has the record of it: a message to
   * another system whose answer will refer to that record. The batch waits for its effects before
   * the next one starts, which keeps a slow peer from being flooded. At most once: a crash between
   * the commit and the effect loses it, and a failing effect is logged, not retried; so an effect
   * needs a recovery path of its own (a poller that finds what was recorded but never answered) and
   * an idempotency key, as the RTGS gateway's status chaser and UETR give it.
   */
  afterCommit(effect: () => Promise<void>): void;
}

export interface EmittedEvent {
  topic: string;
  eventType: string;
  /** Partition key, e.g. the account whose events must stay in order. */
  key: string;
  payload: unknown;
}

/**
 * Runs one event through a consumer's handler of either kind in a transaction of `db`, as the
 * batch processor would, for tests that drive a handler directly: returns what it emitted, and
 * runs its after-commit effects once the transaction committed (rejecting if one fails). It
 * rejects with the error that failed the event (an `EventFailure`'s cause).
 * `beforeCommit` runs last inside the transaction (to publish the emitted events, or to throw and
 * roll it back).
 */
export async function handleInTransaction(
  db: Pick<Database, 'transaction'>,
  consumer: { name?: string; handler?: EventHandler; batchHandler?: BatchEventHandler; produces?: readonly string[] },
  event: ConsumedEvent,
  beforeCommit?: (tx: SqlRunner, emitted: readonly EmittedEvent[]) => Promise<void>,
): Promise<EmittedEvent[]> {
  const emitted: EmittedEvent[] = [];
  const declared = consumer.produces;
  const effects: (() => Promise<void>)[] = [];
  const handle = consumer.batchHandler ?? (consumer.handler ? perEvent(consumer.handler) : undefined);
  if (!handle) throw new TypeError('the consumer has no handler');
  await db.transaction(async (tx) => {
    try {
      await handle([event], {
        tx,
        emit: (_cause, next) => {
          // As the processor does (deduplication.ts's emitOnce): an undeclared output is a programmer error.
          if (declared && !declared.includes(next.topic))
            throw new TypeError(`consumer ${consumer.name ?? '(unnamed)'} emits ${next.topic}, which it does not declare in produces`);
          emitted.push(next);
        },
        afterCommit: (effect) => void effects.push(effect),
      });
    } catch (error) {
      // As the processor does: the error that failed the event, not the batch-level wrapper.
      throw error instanceof EventFailure ? error.cause : error;
    }
    await beforeCommit?.(tx, emitted);
  });
  for (const effect of effects) await effect();
  return emitted;
}
