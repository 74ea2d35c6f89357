import { BackboneError, ErrorCodes } from '../errors.ts';
import type { EncodedPayload, EventCodec } from './event-codec.ts';

/**
 * JSON payloads, with bigints kept exact as `{"$bigint":"123"}`. For tests and tools; production
 * topics use Avro through the schema registry.
 */
export class JsonCodec implements EventCodec {
  async encode(_topic: string, _eventType: string, payload: unknown): Promise<EncodedPayload> {
    return {
      value: Buffer.from(
        JSON.stringify(payload, (_key, value: unknown) => (typeof value === 'bigint' ? { $bigint: value.toString() } : value)),
      ),
      schemaVersion: 1,
    };
  }

  async decode(topic: string, _eventType: string, value: Buffer): Promise<unknown> {
    try {
      return JSON.parse(value.toString('utf8'), (_key, parsed: unknown) => {
        if (parsed && typeof parsed === 'object' && '$bigint' in parsed && typeof parsed.$bigint === 'string')
          return BigInt(parsed.$bigint);
        return parsed;
      });
    } catch (error) {
      throw new BackboneError(ErrorCodes.UNDECODABLE_EVENT, `payload on ${topic} is not valid JSON`, { cause: error });
    }
  }
}
