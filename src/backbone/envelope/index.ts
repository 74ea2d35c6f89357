export { envelopeFromHeaders, envelopeHeaders, envelopeToHeaders, type EventEnvelope } from './envelope.ts';
