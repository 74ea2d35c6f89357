/**
 * Turns payloads into bytes and back. The production codec is Avro in the Confluent wire format
 * with the schema registry (`schema/`); `JsonCodec` serves tests and tools.
 */
export interface EventCodec {
  /** Encodes `payload` as the current schema of `eventType` on `topic`. */
  encode(topic: string, eventType: string, payload: unknown): Promise<EncodedPayload>;
  /**
   * Decodes bytes written by any registered version of the schema into the reader's shape.
   * Throws a BackboneError UNDECODABLE_EVENT when the bytes cannot be decoded.
   */
  decode(topic: string, eventType: string, value: Buffer): Promise<unknown>;
}

export interface EncodedPayload {
  value: Buffer;
  schemaVersion: number;
}
