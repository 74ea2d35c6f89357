import { parseTraceparent } from '../observability/tracing.ts';
import type { LogContext } from '../observability/log-context.ts';
import type { ConsumedEvent } from './handler.ts';

/**
 * Fields of an event's business flow for the log context, beyond the envelope's: the runtime
 * gives the payment id of a payment event. Must not throw and must return no personal data (an
 * IBAN, a name): every line logged while the event is handled carries what it returns.
 */
export type EventLogFields = (event: ConsumedEvent) => LogContext;

/**
 * The log context of handling one event: its correlation id, its own and its cause's event ids,
 * its trace id, and `fieldsOf(event)`. The consumer runner and the batch processor set it around
 * the handler, its after-commit effects and their own lines about the event, so handlers never
 * pass these ids to the logger.
 */
export function eventLogContext(event: ConsumedEvent, fieldsOf?: EventLogFields): LogContext {
  const trace = event.envelope.traceparent ? parseTraceparent(event.envelope.traceparent) : undefined;
  return {
    correlationId: event.envelope.correlationId,
    eventId: event.envelope.eventId,
    ...(event.envelope.causationId ? { causationId: event.envelope.causationId } : {}),
    ...(trace ? { traceId: trace.traceId } : {}),
    ...fieldsOf?.(event),
  };
}
