export { envelopeFromHeaders, envelopeHeaders, envelopeToHeaders, type EventEnvelope } from './envelope.ts';
export { EventEncoder, type EventCause, type NewEvent } from './event-encoder.ts';
