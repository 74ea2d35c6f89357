import { describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../storage-pglite/pglite-database.ts';
import { DatabaseSchemaRegistry } from '../schema-registry-builtin/database-schema-registry.ts';
import { AvroSerde } from './avro-serde.ts';
import { CachingSchemaRegistry } from './caching-schema-registry.ts';
import { AvroEventCodec } from './avro-event-codec.ts';

const v1 = JSON.stringify({ type: 'record', name: 'Transfer', namespace: 'test', fields: [{ name: 'amountMinor', type: 'long' }] });
const v2 = JSON.stringify({
  type: 'record',
  name: 'Transfer',
  namespace: 'test',
  fields: [
    { name: 'amountMinor', type: 'long' },
    { name: 'currency', type: 'string', default: 'EUR' },
  ],
});

describe('AvroEventCodec', () => {
  it('writes the registered version into the envelope and reads old writers into the new shape', async () => {
    const db = await PgliteDatabase.open();
    try {
      const registry = new CachingSchemaRegistry(await DatabaseSchemaRegistry.open(db));
      const serde = new AvroSerde({ registry });
      const oldCodec = new AvroEventCodec(serde, registry, new Map([['test.transfers.v1', v1]]));
      const written = await oldCodec.encode('test.transfers.v1', 'test.transfer', { amountMinor: 9_007_199_254_740_993n });
      expect(written.schemaVersion).toBe(1);
      expect(written.value[0]).toBe(0); // Confluent magic byte

      const newCodec = new AvroEventCodec(serde, registry, new Map([['test.transfers.v1', v2]]));
      expect((await newCodec.encode('test.transfers.v1', 'test.transfer', { amountMinor: 1n, currency: 'CHF' })).schemaVersion).toBe(2);
      const read = (await newCodec.decode('test.transfers.v1', 'test.transfer', written.value)) as {
        amountMinor: bigint;
        currency: string;
      };
      expect(read.amountMinor).toBe(9_007_199_254_740_993n);
      expect(read.currency).toBe('EUR');
      await expect(newCodec.encode('test.unknown.v1', 'x', {})).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
    } finally {
      await db.close();
    }
  });
});
