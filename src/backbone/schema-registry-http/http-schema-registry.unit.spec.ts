import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../errors.ts';
import { AvroSerde } from '../schema/avro-serde.ts';
import { CachingSchemaRegistry } from '../schema/caching-schema-registry.ts';
import { payment, schemaRegistryContract } from '../schema/schema-registry.contract.ts';
import {
  allowEveryCall,
  DatabaseSchemaRegistry,
  serveSchemaRegistry,
  type SchemaRegistryServer,
} from '../schema-registry-builtin/index.ts';
import { PgliteDatabase } from '../storage-pglite/index.ts';
import { HttpSchemaRegistry } from './http-schema-registry.ts';

// The client against paystream's own registry server, in process on a loopback port.

async function startBuiltin(): Promise<{ db: PgliteDatabase; server: SchemaRegistryServer }> {
  const db = await PgliteDatabase.open();
  const server = await serveSchemaRegistry(await DatabaseSchemaRegistry.open(db), { authorize: allowEveryCall });
  return { db, server };
}

schemaRegistryContract('HTTP client against the built-in registry server', async () => {
  const { db, server } = await startBuiltin();
  return {
    registry: new HttpSchemaRegistry({ url: server.url, timeoutMs: 5_000 }),
    close: async () => {
      await server.close();
      await db.close();
    },
  };
});

describe('a registry outage, behind CachingSchemaRegistry', () => {
  let db: PgliteDatabase;
  let server: SchemaRegistryServer;
  let registry: CachingSchemaRegistry;
  let serde: AvroSerde;
  const value = { paymentId: 'p-1', amountMinor: 2n ** 60n + 1n, amount: -12345n };

  beforeAll(async () => {
    ({ db, server } = await startBuiltin());
    registry = new CachingSchemaRegistry(new HttpSchemaRegistry({ url: server.url, timeoutMs: 2_000 }));
    serde = new AvroSerde({ registry });
  });
  afterAll(async () => {
    await server.close().catch(() => {});
    await db.close();
  });

  it('keeps producers and consumers going on what they have seen, and refuses the rest as retryable', async () => {
    const bytes = await serde.encode('outage-value', payment(), value);
    const id = bytes.readInt32BE(1);
    const other = await new HttpSchemaRegistry({ url: server.url }).register(
      'other-value',
      payment([{ name: 'x', type: 'int', default: 1 }]),
    );
    await registry.getLatest('outage-value');

    await server.close();

    expect(await serde.encode('outage-value', payment(), value)).toEqual(bytes);
    expect(await new AvroSerde({ registry }).decode(bytes)).toEqual(value); // a fresh serde: ids come from the registry cache
    expect(await registry.getById(id)).toBe(payment());
    expect(await registry.getLatest('outage-value')).toMatchObject({ id, version: 1 });
    const unavailable = { code: ErrorCodes.REGISTRY_UNAVAILABLE, retryable: true };
    await expect(registry.getById(other)).rejects.toMatchObject(unavailable);
    await expect(serde.encode('new-value', payment(), value)).rejects.toMatchObject(unavailable);
    const unseen = Buffer.concat([Buffer.from([0, 0, 0, 0, other]), bytes.subarray(5)]);
    await expect(serde.decode(unseen)).rejects.toMatchObject(unavailable);
  });

  it('counts a dead port and a timeout as unavailable', async () => {
    const dead = new HttpSchemaRegistry({ url: 'http://127.0.0.1:9', timeoutMs: 1_000 });
    await expect(dead.getById(1)).rejects.toMatchObject({ code: ErrorCodes.REGISTRY_UNAVAILABLE, retryable: true });
    // A registry that accepts the connection and never answers.
    const slow = new HttpSchemaRegistry({
      url: 'http://127.0.0.1:9',
      timeoutMs: 50,
      fetch: (_url, init) =>
        new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
    });
    await expect(slow.getById(1)).rejects.toMatchObject({
      code: ErrorCodes.REGISTRY_UNAVAILABLE,
      message: expect.stringMatching(/timed out/),
    });
  });

  it('shares one registry call between concurrent requests for the same id', async () => {
    let calls = 0;
    const counting = new CachingSchemaRegistry({
      getById: async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 10));
        return payment();
      },
    } as never);
    await Promise.all(Array.from({ length: 20 }, () => counting.getById(42)));
    expect(calls).toBe(1);
  });
});

describe('HttpSchemaRegistry options', () => {
  it('sends basic auth when given credentials', async () => {
    let authorization: string | null = null;
    const registry = new HttpSchemaRegistry({
      url: 'http://registry.invalid/',
      username: 'svc',
      password: 's3cret',
      fetch: async (_url, init) => {
        authorization = new Headers(init?.headers).get('authorization');
        return new Response(JSON.stringify({ schema: '"string"' }), { status: 200 });
      },
    });
    expect(await registry.getById(1)).toBe('"string"');
    expect(authorization).toBe(`Basic ${Buffer.from('svc:s3cret').toString('base64')}`);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new HttpSchemaRegistry({ url: 'localhost:8081' })).toThrow(/http/);
  });
});
