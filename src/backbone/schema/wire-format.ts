import { BackboneError, ErrorCodes } from '../errors.ts';

/**
 * The Confluent wire format, which every Kafka tool that speaks a schema registry reads: one magic
 * byte 0, the schema id as a 4-byte big-endian integer, then the Avro binary encoding.
 */
export const wireHeaderBytes = 5;
const magicByte = 0;

export function encodeWireFrame(schemaId: number, payload: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) throw new Error(`wire-format: bad schema id ${schemaId}`);
  const frame = Buffer.allocUnsafe(wireHeaderBytes + payload.length);
  frame.writeUInt8(magicByte, 0);
  frame.writeInt32BE(schemaId, 1);
  payload.copy(frame, wireHeaderBytes);
  return frame;
}

/** Splits a frame into schema id and payload; anything else is UNDECODABLE_EVENT (a poison pill). */
export function decodeWireFrame(bytes: Buffer): { schemaId: number; payload: Buffer } {
  if (bytes.length < wireHeaderBytes) throw undecodable(`${bytes.length} bytes is shorter than the ${wireHeaderBytes}-byte header`);
  if (bytes[0] !== magicByte) throw undecodable(`magic byte ${bytes[0]} is not ${magicByte}: not in the Confluent wire format`);
  return { schemaId: bytes.readInt32BE(1), payload: bytes.subarray(wireHeaderBytes) };
}

export function undecodable(reason: string, cause?: unknown): BackboneError {
  return new BackboneError(ErrorCodes.UNDECODABLE_EVENT, `undecodable event: ${reason}`, { cause });
}
