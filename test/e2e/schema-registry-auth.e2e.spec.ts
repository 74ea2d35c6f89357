import { SchemaRegistry as KafkajsRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowEveryCall, confluentRegistryRoutes, DatabaseSchemaRegistry } from '../../src/backbone/schema-registry-builtin/index.ts';
import { HttpSchemaRegistry } from '../../src/backbone/schema-registry-http/index.ts';
import { PgliteDatabase } from '../../src/backbone/storage-pglite/index.ts';
import { schemaRegistryPrefix } from '../../src/runtime/http-server.ts';
import { openSchemaRegistry } from '../../src/runtime/schema-registry.ts';
import { allScopes, type Scope } from '../../src/services/http/scopes.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform-fixture.ts';

// The built-in schema registry on the platform's API port: every route refuses a caller without a
// key (401) and a key without the route's scope (403, schemas:read for reads, schemas:write for
// writes), and serves a key with it. The allowed calls are made by a third-party Confluent client,
// @kafkajs/confluent-schema-registry, with the key as the basic-auth password, wherever that client
// has the call; the others with fetch and the same basic auth.

const subject = 'auth-table-value';
const doomed = 'auth-table-doomed-value';
const record = (name: string, extra: object[] = []) => ({
  type: 'record',
  name,
  namespace: 'paystream.test',
  fields: [{ name: 'a', type: 'string' }, ...extra],
});
const v1 = record('AuthTable');
const v2 = record('AuthTable', [{ name: 'b', type: 'int', default: 0 }]);

interface Context {
  ps: TestPlatform;
  /** The registry's base URL on the platform. */
  base: string;
  /** A kafkajs client whose basic-auth password is a key with both schema scopes. */
  client: KafkajsRegistry;
  /** `Authorization` of the same key, for the calls kafkajs's client does not have. */
  authorization: string;
  /** The id of `v1` under `subject`. */
  id: number;
}

interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route as Fastify declares it (under the prefix). */
  route: string;
  path: (context: Context) => string;
  body?: unknown;
  access: 'read' | 'write';
  /** The call with the right scope, and what it must answer. */
  allowed: (context: Context) => Promise<void>;
}

const viaFetch = async (context: Context, method: Row['method'], path: string, body?: unknown) => {
  const response = await fetch(`${context.base}${path}`, {
    method,
    headers: {
      authorization: context.authorization,
      ...(body === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json() as Promise<unknown>;
};

// In table order the allowed calls build on each other (v2 is registered before it is deleted).
const rows: Row[] = [
  { method: 'GET', route: '/', path: () => '/', access: 'read', allowed: async (c) => expect(await viaFetch(c, 'GET', '/')).toEqual({}) },
  {
    method: 'GET',
    route: '/subjects',
    path: () => '/subjects',
    access: 'read',
    allowed: async (c) => expect((await api(c).Subject.all({})).data()).toEqual(expect.arrayContaining([subject, doomed])),
  },
  {
    method: 'GET',
    route: '/subjects/:subject/versions',
    path: () => `/subjects/${subject}/versions`,
    access: 'read',
    allowed: async (c) => expect(await viaFetch(c, 'GET', `/subjects/${subject}/versions`)).toEqual([1]),
  },
  {
    method: 'POST',
    route: '/subjects/:subject',
    path: () => `/subjects/${subject}`,
    body: { schema: JSON.stringify(v1) },
    access: 'read',
    allowed: async (c) =>
      expect(await c.client.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: JSON.stringify(v1) })).toBe(c.id),
  },
  {
    method: 'GET',
    route: '/subjects/:subject/versions/:version',
    path: () => `/subjects/${subject}/versions/1`,
    access: 'read',
    allowed: async (c) => expect(await c.client.getRegistryId(subject, 1)).toBe(c.id),
  },
  {
    method: 'GET',
    route: '/subjects/:subject/versions/:version/schema',
    path: () => `/subjects/${subject}/versions/1/schema`,
    access: 'read',
    allowed: async (c) => expect(await viaFetch(c, 'GET', `/subjects/${subject}/versions/1/schema`)).toMatchObject({ name: 'AuthTable' }),
  },
  {
    method: 'GET',
    route: '/schemas/types',
    path: () => '/schemas/types',
    access: 'read',
    allowed: async (c) => expect(await viaFetch(c, 'GET', '/schemas/types')).toEqual(['AVRO']),
  },
  {
    method: 'GET',
    route: '/schemas/ids/:id',
    path: (c) => `/schemas/ids/${c.id}`,
    access: 'read',
    allowed: async (c) =>
      expect((await c.client.getSchema(c.id)) as { name?: string }).toMatchObject({ name: expect.stringMatching(/AuthTable$/) }),
  },
  {
    method: 'GET',
    route: '/schemas/ids/:id/versions',
    path: (c) => `/schemas/ids/${c.id}/versions`,
    access: 'read',
    allowed: async (c) =>
      expect(await viaFetch(c, 'GET', `/schemas/ids/${c.id}/versions`)).toEqual(expect.arrayContaining([{ subject, version: 1 }])),
  },
  {
    method: 'POST',
    route: '/compatibility/subjects/:subject/versions/:version',
    path: () => `/compatibility/subjects/${subject}/versions/latest`,
    body: { schema: JSON.stringify(v2) },
    access: 'read',
    allowed: async (c) =>
      expect((await api(c).Subject.compatible({ subject, version: 'latest', body: { schema: JSON.stringify(v2) } })).data()).toEqual({
        is_compatible: true,
      }),
  },
  {
    method: 'POST',
    route: '/compatibility/subjects/:subject/versions',
    path: () => `/compatibility/subjects/${subject}/versions`,
    body: { schema: JSON.stringify(v2) },
    access: 'read',
    allowed: async (c) =>
      expect(await viaFetch(c, 'POST', `/compatibility/subjects/${subject}/versions`, { schema: JSON.stringify(v2) })).toEqual({
        is_compatible: true,
      }),
  },
  {
    method: 'GET',
    route: '/config',
    path: () => '/config',
    access: 'read',
    allowed: async (c) => expect(await viaFetch(c, 'GET', '/config')).toEqual({ compatibilityLevel: 'BACKWARD' }),
  },
  {
    method: 'GET',
    route: '/config/:subject',
    path: () => `/config/${subject}`,
    access: 'read',
    allowed: async (c) => expect((await api(c).Subject.config({ subject })).data()).toEqual({ compatibilityLevel: 'BACKWARD' }),
  },
  {
    method: 'POST',
    route: '/subjects/:subject/versions',
    path: () => `/subjects/${subject}/versions`,
    body: { schema: JSON.stringify(v2) },
    access: 'write',
    allowed: async (c) =>
      expect((await c.client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject })).id).toBeGreaterThan(c.id),
  },
  {
    method: 'PUT',
    route: '/config',
    path: () => '/config',
    body: { compatibility: 'BACKWARD' },
    access: 'write',
    allowed: async (c) => expect(await viaFetch(c, 'PUT', '/config', { compatibility: 'BACKWARD' })).toEqual({ compatibility: 'BACKWARD' }),
  },
  {
    method: 'PUT',
    route: '/config/:subject',
    path: () => `/config/${subject}`,
    body: { compatibility: 'FULL' },
    access: 'write',
    allowed: async (c) =>
      expect((await api(c).Subject.updateConfig({ subject, body: { compatibility: 'FULL' } })).data()).toEqual({ compatibility: 'FULL' }),
  },
  {
    method: 'DELETE',
    route: '/subjects/:subject/versions/:version',
    path: () => `/subjects/${doomed}/versions/1`,
    access: 'write',
    allowed: async (c) => expect(await viaFetch(c, 'DELETE', `/subjects/${doomed}/versions/1`)).toBe(1),
  },
  {
    method: 'DELETE',
    route: '/subjects/:subject',
    path: () => `/subjects/${doomed}`,
    access: 'write',
    allowed: async (c) => expect(await viaFetch(c, 'DELETE', `/subjects/${doomed}`)).toEqual([2]),
  },
];

/** kafkajs's client keeps its REST resources (mappersmith) private; the calls it has no method for go through them. */
const api = (context: Context) => (context.client as unknown as { api: KafkajsRegistry['api'] }).api;

const basic = (key: string, username = 'any-user') => `Basic ${Buffer.from(`${username}:${key}`).toString('base64')}`;

describe('the schema registry on the API port: who may read and write', () => {
  const context = {} as Context;
  const keys = {} as Record<'reader' | 'writer' | 'payments' | 'everything', string>;
  const create = async (scopes: readonly Scope[]) => (await context.ps.platform.apiKeys.create('schema registry auth test', scopes)).key;

  beforeAll(async () => {
    context.ps = await startTestPlatform('embedded', { awaitScreeningLists: false });
    context.base = `${context.ps.url}${schemaRegistryPrefix}`;
    keys.reader = await create(['schemas:read']);
    keys.writer = await create(['schemas:write']);
    keys.payments = await create(['payments:read', 'payments:write', 'accounts:admin', 'ops']);
    keys.everything = await create(allScopes);
    context.authorization = basic(keys.everything);
    context.client = new KafkajsRegistry({
      host: context.base,
      auth: { username: 'confluent-client', password: keys.everything },
      retry: { retries: 0 },
    });
    context.id = (await context.client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject })).id;
    await context.client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject: doomed });
    await context.client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject: doomed });
  }, 180_000);
  afterAll(async () => context.ps?.close(), 60_000);

  it('the table has every route the registry serves', async () => {
    const served: string[] = [];
    const app = Fastify({ exposeHeadRoutes: false });
    app.addHook('onRoute', (route) => void served.push(`${String(route.method)} ${route.url}`));
    const db = await PgliteDatabase.open();
    await app.register(confluentRegistryRoutes(await DatabaseSchemaRegistry.open(db), { authorize: allowEveryCall }));
    await app.ready();
    await app.close();
    await db.close();
    expect(rows.map((row) => `${row.method} ${row.route}`).sort()).toEqual(served.sort());
  });

  describe.each(rows)('$method $route ($access)', (row) => {
    const send = (authorization: string | undefined) =>
      fetch(`${context.base}${row.path(context)}`, {
        method: row.method,
        headers: {
          ...(authorization === undefined ? {} : { authorization }),
          ...(row.body === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' }),
        },
        ...(row.body === undefined ? {} : { body: JSON.stringify(row.body) }),
      });

    it('refuses a caller without a key or with a key that is not valid: 401', async () => {
      for (const authorization of [undefined, basic('psk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 'Bearer not-a-key']) {
        const response = await send(authorization);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
        expect(await response.json()).toEqual({ error_code: 40101, message: expect.any(String) });
      }
    });

    it('refuses a key without the scope: 403', async () => {
      const others = row.access === 'read' ? [keys.writer, keys.payments] : [keys.reader, keys.payments];
      for (const key of others) {
        const response = await send(basic(key));
        expect(response.status).toBe(403);
        expect(await response.json()).toEqual({ error_code: 40301, message: `this call needs the scope schemas:${row.access}` });
      }
    });

    it('serves a key with the scope, through a Confluent client', async () => {
      await row.allowed(context);
    });
  });

  it('takes the key as a Bearer token too, and a key with only the scope the call needs', async () => {
    const response = await fetch(`${context.base}/subjects`, { headers: { authorization: `Bearer ${keys.reader}` } });
    expect(response.status).toBe(200);
    const reader = new KafkajsRegistry({ host: context.base, auth: { username: 'x', password: keys.reader }, retry: { retries: 0 } });
    expect(await reader.getLatestSchemaId(subject)).toBeGreaterThan(context.id);
    const anonymous = new KafkajsRegistry({ host: context.base, retry: { retries: 0 } });
    await expect(anonymous.getLatestSchemaId(subject)).rejects.toMatchObject({ status: 401 });
  });

  it('the platform, pointed at this registry by SCHEMA_REGISTRY_URL with the key in it, registers and reads through it', async () => {
    const url = new URL(context.base);
    url.username = 'paystream';
    url.password = keys.everything;
    // openSchemaRegistry turns the URL's credentials into basic auth, as a process started with
    // SCHEMA_REGISTRY_URL does; it registers and looks up every schema it is given.
    const schemas = new Map([['auth-table.http-client', JSON.stringify(record('HttpClient'))]]);
    const opened = await openSchemaRegistry(
      { schemaRegistry: { kind: 'http', url: url.toString() } } as never,
      undefined as never,
      schemas,
    );
    expect(opened.builtin).toBeUndefined();
    expect(await opened.registry.listSubjects()).toContain('auth-table.http-client-value');
    await opened.close();
    const withoutKey = new HttpSchemaRegistry({ url: context.base });
    await expect(withoutKey.listSubjects()).rejects.toMatchObject({ message: expect.stringMatching(/401/) });
  });
});
