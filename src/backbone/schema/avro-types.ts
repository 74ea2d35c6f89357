import avsc from 'avsc';

/**
 * How paystream maps Avro to JavaScript values, so that money and counters stay exact:
 *
 * - `long` (with or without a logical type such as timestamp-millis) reads as `bigint`, never as a
 *   float. Writing accepts a `bigint` or a safe-integer `number`.
 * - `decimal` (on `bytes` or `fixed`) reads as a `bigint` of unscaled units at the schema's scale:
 *   with scale 2, 123.45 is `12345n`. Writing accepts a `bigint` only, and refuses one with more
 *   digits than the precision: a value is never rounded or rescaled.
 *
 * Every other type maps as avsc maps it (int/float/double as number, bytes/fixed as Buffer).
 */
export function createAvroType(schema: unknown): avsc.Type {
  const options = {
    assertLogicalTypes: true, // an invalid decimal is an error here, not silently plain bytes
    logicalTypes: { decimal: DecimalType },
    typeHook: bigintLongHook,
    wrapUnions: 'auto',
  };
  return avsc.Type.forSchema(schema as avsc.Schema, options as unknown as Partial<avsc.ForSchemaOptions>);
}

const minInt64 = -(2n ** 63n);
const maxInt64 = 2n ** 63n - 1n;

function toBigint(value: unknown): bigint {
  return typeof value === 'bigint' ? value : BigInt(value as number | string);
}

function isLongValue(value: unknown): boolean {
  if (typeof value === 'bigint') return value >= minInt64 && value <= maxInt64;
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** avsc reads longs into an 8-byte little-endian buffer and hands it to these methods. */
const bigintLong = avsc.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(0),
  toBuffer: (value: bigint | number) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(toBigint(value), 0);
    return buffer;
  },
  // JSON (defaults, toString) carries safe values as numbers and the rest as strings, both exact.
  fromJSON: (value: unknown) => toBigint(value),
  toJSON: (value: bigint | number) => {
    const n = toBigint(value);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
  },
  isValid: isLongValue,
  compare: (a: bigint | number, b: bigint | number) => {
    const x = toBigint(a);
    const y = toBigint(b);
    return x < y ? -1 : x > y ? 1 : 0;
  },
});

function bigintLongHook(schema: unknown): avsc.Type | undefined {
  if (schema === 'long') return bigintLong;
  if (typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'long') return bigintLong;
  return undefined;
}

interface DecimalSchema {
  type: 'bytes' | 'fixed';
  size?: number;
  precision?: unknown;
  scale?: unknown;
}

/** Avro decimal ↔ bigint of unscaled units (two's-complement big-endian bytes on the wire). */
export class DecimalType extends avsc.types.LogicalType {
  readonly precision: number;
  readonly scale: number;
  readonly #size: number | undefined;
  readonly #limit: bigint;

  constructor(schema: DecimalSchema, options?: unknown) {
    super(schema as avsc.Schema, options);
    const { precision, scale = 0 } = schema;
    if (!Number.isInteger(precision) || (precision as number) < 1)
      throw new Error(`decimal: precision must be a positive integer, got ${String(precision)}`);
    if (!Number.isInteger(scale) || (scale as number) < 0 || (scale as number) > (precision as number)) {
      throw new Error(`decimal: scale must be an integer from 0 to the precision, got ${String(scale)}`);
    }
    this.precision = precision as number;
    this.scale = scale as number;
    this.#size = schema.type === 'fixed' ? schema.size : undefined;
    this.#limit = 10n ** BigInt(this.precision);
    if (this.#size !== undefined && this.#limit - 1n > 2n ** BigInt(8 * this.#size - 1) - 1n) {
      throw new Error(`decimal: precision ${this.precision} does not fit in fixed of ${this.#size} bytes`);
    }
  }

  override _fromValue(buffer: Buffer): bigint {
    return bytesToBigint(buffer);
  }

  override _toValue(value: unknown): Buffer | undefined {
    // `undefined` tells avsc the value is not valid for this type (see LogicalType._check).
    if (typeof value !== 'bigint') return undefined;
    if (value <= -this.#limit || value >= this.#limit) return undefined;
    return bigintToBytes(value, this.#size);
  }

  /**
   * Reads another decimal only at the same scale: reading 1.50 (150, scale 2) as scale 3 would
   * need a rescale, and reading it at another scale without one would change the amount tenfold.
   * Plain bytes are not read as a decimal either. Returning undefined makes avsc refuse to resolve.
   */
  override _resolve(writer: avsc.Type): ((value: bigint) => bigint) | undefined {
    if (!(writer instanceof DecimalType) || writer.scale !== this.scale) return undefined;
    return (value) => {
      if (value <= -this.#limit || value >= this.#limit) throw new Error(`decimal ${value} exceeds precision ${this.precision}`);
      return value;
    };
  }

  override _export(schema: avsc.Schema): void {
    Object.assign(schema as object, { precision: this.precision, scale: this.scale });
  }
}

/** Two's-complement big-endian bytes to bigint. */
export function bytesToBigint(buffer: Buffer): bigint {
  if (buffer.length === 0) return 0n;
  const unsigned = BigInt(`0x${buffer.toString('hex')}`);
  const negative = (buffer[0] as number) >= 0x80;
  return negative ? unsigned - (1n << BigInt(buffer.length * 8)) : unsigned;
}

/** bigint to the shortest two's-complement big-endian bytes, or to exactly `size` bytes. */
export function bigintToBytes(value: bigint, size?: number): Buffer {
  let length = 1;
  while (value < -(1n << BigInt(length * 8 - 1)) || value >= 1n << BigInt(length * 8 - 1)) length++;
  const width = size ?? length;
  if (length > width) throw new Error(`decimal ${value} does not fit in ${width} bytes`);
  const unsigned = value < 0n ? (1n << BigInt(width * 8)) + value : value;
  return Buffer.from(unsigned.toString(16).padStart(width * 2, '0'), 'hex');
}
