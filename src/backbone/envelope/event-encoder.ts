import type { OutgoingMessage } from '../messaging/event-bus.ts';
import type { EventCodec } from '../codec/event-codec.ts';
import type { Clock, IdGenerator } from '../clock/clock.ts';
import { childTraceparent } from '../observability/tracing.ts';
import { envelopeToHeaders, type EventEnvelope } from './envelope.ts';

/** An event to publish: where, what, under which key. */
export interface NewEvent {
  topic: string;
  eventType: string;
  /** Partition key, e.g. the account whose events must stay in order. */
  key: string;
  payload: unknown;
}

/** What a new event inherits: from the event that caused it, or from the request that started a flow. */
export interface EventCause {
  correlationId: string;
  /** The eventId of the causing event; absent for a flow's first event. */
  eventId?: string;
  traceparent?: string;
}

/**
 * Builds the outgoing message of a new event: payload encoded by the codec, envelope headers with
 * a fresh UUIDv7, the cause's correlationId, the cause's eventId as causationId, and a child span
 * of the cause's trace (a new trace when there is none).
 */
export class EventEncoder {
  readonly #codec: EventCodec;
  readonly #ids: IdGenerator;
  readonly #clock: Clock;

  constructor(codec: EventCodec, ids: IdGenerator, clock: Clock) {
    this.#codec = codec;
    this.#ids = ids;
    this.#clock = clock;
  }

  async encode(event: NewEvent, cause: EventCause): Promise<{ message: OutgoingMessage; envelope: EventEnvelope }> {
    const { value, schemaVersion } = await this.#codec.encode(event.topic, event.eventType, event.payload);
    const envelope: EventEnvelope = {
      eventId: this.#ids.eventId(),
      eventType: event.eventType,
      schemaVersion,
      occurredAt: new Date(this.#clock.nowMs()).toISOString(),
      correlationId: cause.correlationId,
      causationId: cause.eventId ?? null,
      key: event.key,
      traceparent: childTraceparent(cause.traceparent || undefined),
    };
    return { message: { topic: event.topic, key: Buffer.from(event.key), value, headers: envelopeToHeaders(envelope) }, envelope };
  }
}
