import { BackboneError, ErrorCodes } from '../errors.ts';
import { itemsOf, type Part } from './batch-item.ts';
import type { ConsumedEvent, EmittedEvent } from './handler.ts';

/** How duplicates published at new offsets are dropped (see `ConsumerOptions.deduplication`). */
export type Deduplication = 'processed-ids' | 'handler';

/**
 * Deduplication. Contract: a record at an offset below the partition's stored position is skipped
 * (a redelivery), whatever the mode, and so is an event whose id came earlier in the same
 * transaction. With `processed-ids` (the default) the ids of the transaction's events are looked
 * up in the transaction's first statement, an id processed before is dropped, and the ids applied
 * are recorded in the statement that stores the positions, so an event is applied once even when
 * it is published again at a new offset. With `handler` the ids are neither looked up nor
 * recorded: the handler is idempotent per event id by itself, and it must not emit (an event
 * applied twice would emit twice), so `emit` throws for it.
 */
export function recordsIds(deduplication: Deduplication | undefined): boolean {
  return deduplication !== 'handler';
}

/** The ids of the parts' decoded events, to look up in the transaction's first statement. */
export function idsToLookUp(parts: readonly Part[], lookUp: boolean): string[] {
  if (!lookUp) return [];
  return parts.flatMap((part) => itemsOf(part).flatMap((item) => (item.event ? [item.event.envelope.eventId] : [])));
}

/** Whether the record at `offset` is behind the stored position (a redelivery). */
export function isBehindPosition(offset: bigint, position: bigint | undefined): boolean {
  return position !== undefined && offset < position;
}

/**
 * `emit` for a handler; refuses when the consumer does not record ids (see the contract above), and
 * an emit to a topic outside the consumer's declared `produces` (when it declares them).
 */
export function emitOnce(
  consumer: string,
  records: boolean,
  emitted: { cause: ConsumedEvent; event: EmittedEvent }[],
  produces?: readonly string[],
): (cause: ConsumedEvent, event: EmittedEvent) => void {
  return (cause, event) => {
    if (!records)
      throw new BackboneError(
        ErrorCodes.INVALID_OPTIONS,
        `consumer ${consumer} emits ${event.topic}, but its deduplication is left to its handler: an event applied twice would emit twice`,
      );
    if (produces && !produces.includes(event.topic))
      throw new BackboneError(
        ErrorCodes.INVALID_OPTIONS,
        `consumer ${consumer} emits ${event.topic}, which it does not declare in produces (${produces.join(', ') || 'none'})`,
      );
    emitted.push({ cause, event });
  };
}
