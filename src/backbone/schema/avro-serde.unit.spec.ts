import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../errors.ts';
import { DatabaseSchemaRegistry } from '../schema-registry-builtin/database-schema-registry.ts';
import { PgliteDatabase } from '../storage-pglite/index.ts';
import { bigintToBytes, bytesToBigint } from './avro-types.ts';
import { AvroSerde } from './avro-serde.ts';
import { CachingSchemaRegistry } from './caching-schema-registry.ts';
import { decodeWireFrame } from './wire-format.ts';

const moneyV1 = JSON.stringify({
  type: 'record',
  name: 'Transfer',
  namespace: 'paystream.test',
  fields: [
    { name: 'transferId', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'rate', type: { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 8 } },
    { name: 'fee', type: { type: 'fixed', name: 'Fee', size: 8, logicalType: 'decimal', precision: 18, scale: 2 } },
    { name: 'memo', type: ['null', 'string'], default: null },
    { name: 'bookedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
});
const moneyV2 = JSON.stringify({
  ...JSON.parse(moneyV1),
  fields: [...JSON.parse(moneyV1).fields, { name: 'channel', type: 'string', default: 'api' }],
});

const transfer = {
  transferId: 't-1',
  amountMinor: 9_007_199_254_740_993n, // 2^53 + 1: a float would round it
  rate: 123_456_789_012_345_678_901_234_567_890n,
  fee: -150n,
  memo: 'rent',
  bookedAt: 1_767_225_600_000n,
};

describe('AvroSerde', () => {
  let db: PgliteDatabase;
  let registry: CachingSchemaRegistry;
  let serde: AvroSerde;

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    registry = new CachingSchemaRegistry(await DatabaseSchemaRegistry.open(db));
    serde = new AvroSerde({ registry });
  });
  afterAll(() => db.close());

  it('frames in the Confluent wire format: magic 0, 4-byte big-endian id, Avro', async () => {
    const bytes = await serde.encode('transfers-value', moneyV1, transfer);
    const id = await registry.register('transfers-value', moneyV1);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(decodeWireFrame(bytes).payload.subarray(0, 4)).toEqual(Buffer.from([0x06, 0x74, 0x2d, 0x31])); // "t-1", zigzag length 3
  });

  it('round-trips longs and decimals exactly, as bigint', async () => {
    const decoded = await serde.decode(await serde.encode('transfers-value', moneyV1, transfer));
    expect(decoded).toEqual(transfer);
  });

  it('resolves to a newer reader schema with its defaults', async () => {
    const bytes = await serde.encode('transfers-value', moneyV1, transfer);
    expect(await serde.decode(bytes, moneyV2)).toEqual({ ...transfer, channel: 'api' });
    const newer = await serde.encode('transfers-value', moneyV2, { ...transfer, channel: 'batch' });
    expect(await serde.decode(newer, moneyV1)).toEqual(transfer);
  });

  it('refuses to read a decimal at another scale rather than change the amount', async () => {
    const bytes = await serde.encode('transfers-value', moneyV1, transfer);
    const otherScale = moneyV1.replace('"scale":8', '"scale":6');
    await expect(serde.decode(bytes, otherScale)).rejects.toMatchObject({ code: ErrorCodes.UNDECODABLE_EVENT });
  });

  it('refuses values that do not fit, naming the field', async () => {
    const tooPrecise = { ...transfer, fee: 10n ** 18n };
    await expect(serde.encode('transfers-value', moneyV1, tooPrecise)).rejects.toMatchObject({
      code: ErrorCodes.SCHEMA_INVALID,
      message: expect.stringMatching(/fee/),
    });
    await expect(serde.encode('transfers-value', moneyV1, { ...transfer, rate: 1.5 })).rejects.toMatchObject({
      message: expect.stringMatching(/rate/),
    });
    await expect(serde.encode('transfers-value', moneyV1, { ...transfer, amountMinor: 2n ** 63n })).rejects.toMatchObject({
      message: expect.stringMatching(/amountMinor/),
    });
  });

  it('accepts safe-integer numbers for longs and still reads bigint', async () => {
    const decoded = await serde.decode(await serde.encode('transfers-value', moneyV1, { ...transfer, amountMinor: 42 }));
    expect((decoded as typeof transfer).amountMinor).toBe(42n);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['shorter than the header', Buffer.from([0, 0, 0])],
    ['wrong magic byte', Buffer.from([1, 0, 0, 0, 1, 2])],
    ['JSON, not Avro', Buffer.from('{"transferId":"t-1"}')],
    ['unknown schema id', Buffer.from([0, 0x7f, 0, 0, 0, 2])],
  ])('raises UNDECODABLE_EVENT for %s', async (_name, bytes) => {
    await expect(serde.decode(bytes)).rejects.toMatchObject({ code: ErrorCodes.UNDECODABLE_EVENT, retryable: false });
  });

  it('raises UNDECODABLE_EVENT for truncated and padded payloads', async () => {
    const bytes = await serde.encode('transfers-value', moneyV1, transfer);
    await expect(serde.decode(bytes.subarray(0, bytes.length - 3))).rejects.toMatchObject({ code: ErrorCodes.UNDECODABLE_EVENT });
    await expect(serde.decode(Buffer.concat([bytes, Buffer.from([1])]))).rejects.toMatchObject({ code: ErrorCodes.UNDECODABLE_EVENT });
  });

  it('without autoRegister, encodes only with schemas registered beforehand', async () => {
    const strict = new AvroSerde({ registry, autoRegister: false });
    await expect(strict.encode('unregistered-value', moneyV1, transfer)).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_NOT_FOUND });
    expect(await strict.encode('transfers-value', moneyV1, transfer)).toEqual(await serde.encode('transfers-value', moneyV1, transfer));
  });

  it('counts a raw failure of the registry (its database down) as a retryable outage, not a poison pill', async () => {
    const bytes = await serde.encode('transfers-value', moneyV1, transfer);
    const broken = new AvroSerde({
      registry: {
        getById: () => Promise.reject(new Error('connection refused')),
        register: () => Promise.reject(new Error('boom')),
      } as never,
    });
    const outage = { code: ErrorCodes.REGISTRY_UNAVAILABLE, retryable: true };
    await expect(broken.decode(bytes)).rejects.toMatchObject(outage);
    await expect(broken.encode('transfers-value', moneyV1, transfer)).rejects.toMatchObject(outage);
  });

  it('keeps any int64 and any decimal within its precision exact (property)', async () => {
    const schema = JSON.stringify({
      type: 'record',
      name: 'P',
      fields: [
        { name: 'n', type: 'long' },
        { name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 30, scale: 4 } },
      ],
    });
    const limit = 10n ** 30n - 1n;
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -limit, max: limit }), async (n, d) => {
        expect(await serde.decode(await serde.encode('property-value', schema, { n, d }))).toEqual({ n, d });
      }),
      { numRuns: 200 },
    );
  });
});

describe('decimal bytes', () => {
  it("are two's complement big-endian, shortest form", () => {
    expect(bigintToBytes(0n)).toEqual(Buffer.from([0]));
    expect(bigintToBytes(127n)).toEqual(Buffer.from([0x7f]));
    expect(bigintToBytes(128n)).toEqual(Buffer.from([0x00, 0x80]));
    expect(bigintToBytes(-1n)).toEqual(Buffer.from([0xff]));
    expect(bigintToBytes(-129n)).toEqual(Buffer.from([0xff, 0x7f]));
    expect(bigintToBytes(-1n, 4)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(() => bigintToBytes(2n ** 31n, 4)).toThrow(/fit/);
  });

  it('round-trip for any bigint (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), (n) => bytesToBigint(bigintToBytes(n)) === n));
  });
});
