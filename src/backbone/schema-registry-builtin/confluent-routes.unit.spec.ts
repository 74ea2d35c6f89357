import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payment } from '../schema/schema-registry.contract.ts';
import { PgliteDatabase } from '../storage-pglite/index.ts';
import { allowEveryCall, confluentRegistryRoutes, schemaRegistryContentType } from './confluent-routes.ts';
import { DatabaseSchemaRegistry } from './database-schema-registry.ts';

// The REST surface as Confluent clients see it: paths, bodies, status and error codes.

describe('Confluent REST API of the built-in registry', () => {
  let db: PgliteDatabase;
  let app: FastifyInstance;

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
    const response = await app.inject({
      method,
      url,
      ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': schemaRegistryContentType } }),
    });
    return {
      status: response.statusCode,
      type: response.headers['content-type'],
      body: response.body ? JSON.parse(response.body) : undefined,
    };
  };

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    app = Fastify();
    await app.register(confluentRegistryRoutes(await DatabaseSchemaRegistry.open(db), { authorize: allowEveryCall }), {
      prefix: '/registry',
    });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it('registers, serves and looks up versions', async () => {
    expect(await call('POST', '/registry/subjects/orders-value/versions', { schema: payment() })).toMatchObject({
      status: 200,
      body: { id: 1 },
    });
    const latest = await call('GET', '/registry/subjects/orders-value/versions/latest');
    expect(latest).toMatchObject({ status: 200, body: { subject: 'orders-value', version: 1, id: 1, schema: payment() } });
    expect(latest.type).toContain(schemaRegistryContentType);
    expect((await call('GET', '/registry/subjects/orders-value/versions/-1')).body.version).toBe(1);
    expect((await call('GET', '/registry/subjects/orders-value/versions/1/schema')).body).toEqual(JSON.parse(payment()));
    expect((await call('GET', '/registry/subjects')).body).toEqual(['orders-value']);
    expect((await call('GET', '/registry/subjects/orders-value/versions')).body).toEqual([1]);
    expect((await call('POST', '/registry/subjects/orders-value', { schema: payment() })).body).toMatchObject({ version: 1, id: 1 });
    expect((await call('GET', '/registry/schemas/ids/1')).body).toEqual({ schema: payment() });
    expect((await call('GET', '/registry/schemas/ids/1/versions')).body).toEqual([{ subject: 'orders-value', version: 1 }]);
    expect((await call('GET', '/registry/schemas/types')).body).toEqual(['AVRO']);
  });

  it('answers with Confluent error codes', async () => {
    const expectError = async (
      request: Promise<{ status: number; body: { error_code: number; message: string } }>,
      status: number,
      code: number,
    ) => {
      const { status: actual, body } = await request;
      expect({ status: actual, code: body.error_code }).toEqual({ status, code });
      expect(body.message).toEqual(expect.any(String));
    };
    await expectError(call('GET', '/registry/subjects/nope/versions'), 404, 40401);
    await expectError(call('GET', '/registry/subjects/orders-value/versions/9'), 404, 40402);
    await expectError(call('GET', '/registry/schemas/ids/99'), 404, 40403);
    await expectError(call('POST', '/registry/subjects/orders-value', { schema: '"string"' }), 404, 40403);
    await expectError(call('GET', '/registry/subjects/orders-value/versions/zero'), 422, 42202);
    await expectError(call('POST', '/registry/subjects/orders-value/versions', { schema: '{"type":"nope"}' }), 422, 42201);
    await expectError(call('POST', '/registry/subjects/orders-value/versions', { schema: '"string"', schemaType: 'PROTOBUF' }), 422, 42201);
    await expectError(
      call('POST', '/registry/subjects/orders-value/versions', { schema: payment([{ name: 'x', type: 'int' }]) }),
      409,
      409,
    );
    await expectError(call('PUT', '/registry/config', { compatibility: 'NONE' }), 422, 42203);
    await expectError(call('PUT', '/registry/config/orders-value', { compatibility: 'SIDEWAYS' }), 422, 42203);
    await expectError(call('GET', '/registry/config/orders-value'), 404, 40408);
  });

  it('checks compatibility, verbosely on request', async () => {
    const bad = payment([{ name: 'x', type: 'int' }]);
    expect((await call('POST', '/registry/compatibility/subjects/orders-value/versions/latest', { schema: bad })).body).toEqual({
      is_compatible: false,
    });
    const verbose = await call('POST', '/registry/compatibility/subjects/orders-value/versions/1?verbose=true', { schema: bad });
    expect(verbose.body.is_compatible).toBe(false);
    expect(verbose.body.messages[0]).toMatch(/x at \/fields\/3/);
    const good = payment([{ name: 'x', type: 'int', default: 0 }]);
    expect((await call('POST', '/registry/compatibility/subjects/orders-value/versions', { schema: good })).body).toEqual({
      is_compatible: true,
    });
  });

  it('serves global and subject configuration', async () => {
    expect((await call('GET', '/registry/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('GET', '/registry/config/orders-value?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('PUT', '/registry/config/orders-value', { compatibility: 'full_transitive' })).body).toEqual({
      compatibility: 'FULL_TRANSITIVE',
    });
    expect((await call('GET', '/registry/config/orders-value')).body).toEqual({ compatibilityLevel: 'FULL_TRANSITIVE' });
  });

  it('soft-deletes versions and subjects', async () => {
    await call('POST', '/registry/subjects/temp-value/versions', { schema: payment() });
    await call('POST', '/registry/subjects/temp-value/versions', { schema: payment([{ name: 'y', type: 'int', default: 0 }]) });
    expect((await call('DELETE', '/registry/subjects/temp-value/versions/1')).body).toBe(1);
    expect((await call('DELETE', '/registry/subjects/temp-value')).body).toEqual([2]);
    expect((await call('GET', '/registry/subjects/temp-value/versions')).status).toBe(404);
  });

  it('accepts plain JSON bodies too', async () => {
    const response = await app.inject({ method: 'POST', url: '/registry/subjects/json-value/versions', payload: { schema: '"string"' } });
    expect(JSON.parse(response.body)).toEqual({ id: expect.any(Number) });
  });
});
