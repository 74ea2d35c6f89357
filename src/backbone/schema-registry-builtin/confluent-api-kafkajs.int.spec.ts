import { COMPATIBILITY, SchemaRegistry as KafkajsRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../../../test/support/engines.ts';
import { AvroSerde } from '../schema/avro-serde.ts';
import { CachingSchemaRegistry } from '../schema/caching-schema-registry.ts';
import { PostgresDatabase } from '../storage-postgres/index.ts';
import { DatabaseSchemaRegistry } from './database-schema-registry.ts';
import { allowEveryCall } from './confluent-routes.ts';
import { serveSchemaRegistry, type SchemaRegistryServer } from './server.ts';

// The built-in registry's REST API driven by a widely used third-party client,
// @kafkajs/confluent-schema-registry, on a real PostgreSQL server.

const orderV1 = {
  type: 'record',
  name: 'OrderPlaced',
  namespace: 'paystream.orders',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'quantity', type: 'long' },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
  ],
};
const orderV2 = { ...orderV1, fields: [...orderV1.fields, { name: 'channel', type: 'string', default: 'web' }] };

describeWithPostgres('built-in registry REST API with @kafkajs/confluent-schema-registry', () => {
  let database: TestDatabase;
  let db: PostgresDatabase;
  let server: SchemaRegistryServer;
  let client: KafkajsRegistry;
  let serde: AvroSerde;

  beforeAll(async () => {
    database = await createTestDatabase('schema_registry_kafkajs');
    db = new PostgresDatabase({ connectionString: database.url });
    const registry = await DatabaseSchemaRegistry.open(db);
    server = await serveSchemaRegistry(registry, { authorize: allowEveryCall });
    client = new KafkajsRegistry({ host: server.url, retry: { retries: 0 } });
    serde = new AvroSerde({ registry: new CachingSchemaRegistry(registry) });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
    await database?.drop();
  });

  it('registers, sets the subject mode, and encodes and decodes with it', async () => {
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV1) }, { subject: 'orders.placed-value' });
    expect(id).toBe(1);
    expect(await client.getLatestSchemaId('orders.placed-value')).toBe(1);
    expect(await client.getRegistryId('orders.placed-value', 1)).toBe(1);
    const value = { orderId: 'o-1', quantity: 3, price: Buffer.from([0x04, 0xd2]) }; // kafkajs: long as number, decimal as raw bytes
    expect(await client.decode(await client.encode(id, value))).toEqual(value);
    // Its compatibility option, written on first registration, is what paystream enforces.
    const config = await fetch(`${server.url}/config/orders.placed-value`);
    expect(await config.json()).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('reads what paystream writes and paystream reads what it writes, exactly', async () => {
    const ours = await serde.encode('orders.placed-value', JSON.stringify(orderV1), { orderId: 'o-2', quantity: 5n, price: 1234n });
    expect(await client.decode(ours)).toEqual({ orderId: 'o-2', quantity: 5, price: Buffer.from([0x04, 0xd2]) });
    const theirs = await client.encode(1, { orderId: 'o-3', quantity: 7, price: Buffer.from([0xff, 0x38]) });
    expect(await serde.decode(theirs)).toEqual({ orderId: 'o-3', quantity: 7n, price: -200n });
  });

  it('evolves compatibly and decodes old records with the new reader schema', async () => {
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV2) }, { subject: 'orders.placed-value' });
    expect(id).toBe(2);
    const old = await client.encode(1, { orderId: 'o-4', quantity: 1, price: Buffer.from([0x01]) });
    expect(await client.decode(old, { [SchemaType.AVRO]: { readerSchema: orderV2 as never } })).toMatchObject({ channel: 'web' });
  });

  it('shows a refused change as an error: incompatible, a decimal scale change, NONE', async () => {
    const required = { ...orderV2, fields: [...orderV2.fields, { name: 'customerId', type: 'string' }] };
    await expect(
      client.register({ type: SchemaType.AVRO, schema: JSON.stringify(required) }, { subject: 'orders.placed-value' }),
    ).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/incompatible.*customerId/s),
    });
    const rescaled = {
      ...orderV2,
      fields: orderV2.fields.map((f) => (f.name === 'price' ? { ...f, type: { ...(f.type as object), scale: 3 } } : f)),
    };
    await expect(
      client.register({ type: SchemaType.AVRO, schema: JSON.stringify(rescaled) }, { subject: 'orders.placed-value' }),
    ).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/scale/),
    });
    await expect(
      client.register(
        { type: SchemaType.AVRO, schema: JSON.stringify({ ...orderV1, name: 'Loose' }) },
        { subject: 'loose-value', compatibility: COMPATIBILITY.NONE },
      ),
    ).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/NONE is refused/) });
  });

  it('refuses a schema that is not valid Avro', async () => {
    await expect(
      fetch(`${server.url}/subjects/bad-value/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: '{"type":"record","name":"Bad","fields":[{"name":"x","type":"nope"}]}' }),
      }).then((r) => r.json()),
    ).resolves.toMatchObject({ error_code: 42201 });
  });
});
