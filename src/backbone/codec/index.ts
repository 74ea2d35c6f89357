export type { EncodedPayload, EventCodec } from './event-codec.ts';
export { JsonCodec } from './json-codec.ts';
