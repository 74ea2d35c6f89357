import type { MessageHeaders } from '../messaging/event-bus.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';

/**
 * The envelope every event carries, as message headers (the payload stays a pure business
 * record, and any consumer can route, trace and deduplicate without decoding it).
 */
export interface EventEnvelope {
  /** UUIDv7; the deduplication key of every consumer. */
  eventId: string;
  /** `<domain>.<event>`, e.g. `payments.submitted`. */
  eventType: string;
  /** The payload's schema version (the registry's version of the topic's value subject). */
  schemaVersion: number;
  /** ISO 8601 UTC, when the fact happened. */
  occurredAt: string;
  /** Ties every event of one business flow together (one payment, one loan application). */
  correlationId: string;
  /** The eventId of the event whose handling emitted this one; null for a flow's first event. */
  causationId: string | null;
  /** The partition key (e.g. the debtor account), also the message key. */
  key: string;
  /** W3C Trace Context `traceparent`, so a trace follows the flow across topics. */
  traceparent: string;
}

export const envelopeHeaders = {
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  occurredAt: 'occurred-at',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
} as const;

export function envelopeToHeaders(envelope: EventEnvelope): MessageHeaders {
  const headers: MessageHeaders = {
    [envelopeHeaders.eventId]: Buffer.from(envelope.eventId),
    [envelopeHeaders.eventType]: Buffer.from(envelope.eventType),
    [envelopeHeaders.schemaVersion]: Buffer.from(String(envelope.schemaVersion)),
    [envelopeHeaders.occurredAt]: Buffer.from(envelope.occurredAt),
    [envelopeHeaders.correlationId]: Buffer.from(envelope.correlationId),
    [envelopeHeaders.traceparent]: Buffer.from(envelope.traceparent),
  };
  if (envelope.causationId) headers[envelopeHeaders.causationId] = Buffer.from(envelope.causationId);
  return headers;
}

/**
 * Reads the envelope from a record's headers. A missing correlationId is not fatal (the caller
 * generates one and logs a warning, see ARCHITECTURE.md); a missing eventId or eventType is: the
 * event can be neither deduplicated nor routed, and goes to the dead-letter topic.
 */
export function envelopeFromHeaders(
  headers: MessageHeaders,
  key: Buffer | null,
): { envelope: Omit<EventEnvelope, 'correlationId'> & { correlationId: string | null } } {
  const text = (name: string) => headers[name]?.toString('utf8');
  const eventId = text(envelopeHeaders.eventId);
  const eventType = text(envelopeHeaders.eventType);
  if (!eventId || !eventType) {
    throw new BackboneError(
      ErrorCodes.INVALID_ENVELOPE,
      `record has no ${!eventId ? envelopeHeaders.eventId : envelopeHeaders.eventType} header`,
    );
  }
  const schemaVersion = Number.parseInt(text(envelopeHeaders.schemaVersion) ?? '1', 10);
  return {
    envelope: {
      eventId,
      eventType,
      schemaVersion: Number.isFinite(schemaVersion) ? schemaVersion : 1,
      occurredAt: text(envelopeHeaders.occurredAt) ?? new Date(0).toISOString(),
      correlationId: text(envelopeHeaders.correlationId) ?? null,
      causationId: text(envelopeHeaders.causationId) ?? null,
      key: key?.toString('utf8') ?? '',
      traceparent: text(envelopeHeaders.traceparent) ?? '',
    },
  };
}
