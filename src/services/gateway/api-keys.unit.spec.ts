import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../backbone/clock/clock.ts';
import { PgliteDatabase } from '../../backbone/storage-pglite/index.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { installProblemErrorHandler } from '../http/error-handler.ts';
import { ApiKeys, apiKeyRoutes, gatewayMigrations, installApiKeyAuth, requireScope } from './index.ts';

/** A clock that moves only when told: key expiry is checked against it. */
function manualClock(startMs: number): Clock & { advance(ms: number): void } {
  let nowMs = startMs;
  return { nowMs: () => nowMs, sleep: async () => {}, advance: (ms) => (nowMs += ms) };
}

describe('API keys: expiry, revocation, listing (PGlite)', () => {
  let db: PgliteDatabase;
  const clock = manualClock(Date.parse('2026-03-01T12:00:00Z'));

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db, 'gateway', gatewayMigrations);
  });
  afterAll(() => db.close());

  it('refuses a key from the instant it expires, on the injected clock', async () => {
    const keys = new ApiKeys(db, clock);
    const created = await keys.create('quarterly report', ['payments:read'], { expiresAtMs: clock.nowMs() + 60_000 });
    expect(await keys.verify(created.key)).toMatchObject({ keyId: created.keyId });
    clock.advance(59_999);
    expect(await keys.verify(created.key)).toBeDefined();
    clock.advance(1);
    expect(await keys.verify(created.key)).toBeUndefined();
    expect((await keys.get(created.keyId))?.expiresAt).toBe('2026-03-01T12:01:00.000Z');
  });

  it('refuses a revoked key at once on the process that revoked it, and records who did', async () => {
    const keys = new ApiKeys(db, clock);
    const created = await keys.create('ci', ['ops']);
    expect(await keys.verify(created.key)).toBeDefined();
    const revoked = await keys.revoke(created.keyId, 'a1b2c3d4e5f6');
    expect(revoked).toMatchObject({ keyId: created.keyId, revokedBy: 'a1b2c3d4e5f6', revokedAt: new Date(clock.nowMs()).toISOString() });
    expect(await keys.verify(created.key)).toBeUndefined();
    // A second revocation keeps the first one's record.
    expect(await keys.revoke(created.keyId, 'someone-else')).toMatchObject({ revokedBy: 'a1b2c3d4e5f6' });
    expect(await keys.revoke('000000000000', 'x')).toBeUndefined();
  });

  it('does not mint a new all-scope key at a restart once every key is revoked', async () => {
    const fresh = await PgliteDatabase.open();
    try {
      await migrate(fresh, 'gateway', gatewayMigrations);
      const keys = new ApiKeys(fresh, clock);
      const initial = await keys.ensureInitialKey();
      expect(initial).toMatch(/^psk_/);
      await keys.revoke(initial!.slice(4, 16), 'test');
      expect(await keys.ensureInitialKey()).toBeUndefined();
    } finally {
      await fresh.close();
    }
  });
});

describe('the API keys routes (a real HTTP server, PGlite)', () => {
  let db: PgliteDatabase;
  let app: FastifyInstance;
  let url: string;
  let adminKey: string;
  let adminKeyId: string;
  const clock = manualClock(Date.parse('2026-03-01T12:00:00Z'));

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db, 'gateway', gatewayMigrations);
    const keys = new ApiKeys(db, clock);
    ({ key: adminKey, keyId: adminKeyId } = await keys.create('key admin', ['keys:admin', 'payments:read']));
    app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } } });
    installProblemErrorHandler(app, () => {});
    installApiKeyAuth(app, keys);
    await app.register(apiKeyRoutes({ keys, requireScope, nowMs: () => clock.nowMs() }));
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it('creates a key with scopes the caller holds, and refuses one with a scope it lacks', async () => {
    const created = await call('POST', '/v1/api-keys', adminKey, {
      label: 'reporting',
      scopes: ['payments:read'],
      expiresAt: '2026-06-01T00:00:00Z',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      label: 'reporting',
      scopes: ['payments:read'],
      expiresAt: '2026-06-01T00:00:00.000Z',
      revokedAt: null,
      key: expect.stringMatching(/^psk_[0-9a-f]{12}_/),
    });

    const escalation = await call('POST', '/v1/api-keys', adminKey, { label: 'sneaky', scopes: ['payments:read', 'ops'] });
    expect(escalation).toMatchObject({
      status: 403,
      type: expect.stringMatching(/^application\/problem\+json/),
      body: { code: 'missing-scope', detail: expect.stringMatching(/lacks ops/) },
    });
    const past = await call('POST', '/v1/api-keys', adminKey, {
      label: 'late',
      scopes: ['payments:read'],
      expiresAt: '2026-02-01T00:00:00Z',
    });
    expect(past).toMatchObject({ status: 400, body: { code: 'invalid-field', pointer: '/expiresAt' } });
    const unknownScope = await call('POST', '/v1/api-keys', adminKey, { label: 'x', scopes: ['payments:delete'] });
    expect(unknownScope).toMatchObject({ status: 400, type: expect.stringMatching(/^application\/problem\+json/) });
  });

  it('needs the scope keys:admin', async () => {
    const reader = await call('POST', '/v1/api-keys', adminKey, { label: 'reader', scopes: ['payments:read'] });
    const listed = await call('GET', '/v1/api-keys', reader.body.key as string);
    expect(listed).toMatchObject({ status: 403, body: { code: 'missing-scope' } });
  });

  it('lists keys without their secrets, and a revocation names the caller and takes effect at once', async () => {
    const victim = await call('POST', '/v1/api-keys', adminKey, { label: 'leaked', scopes: ['payments:read'] });
    const revoked = await call('POST', `/v1/api-keys/${victim.body.keyId as string}/revoke`, adminKey);
    expect(revoked).toMatchObject({ status: 200, body: { keyId: victim.body.keyId, revokedBy: adminKeyId } });
    const refused = await call('GET', '/v1/api-keys', victim.body.key as string);
    expect(refused).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });

    const listed = await call('GET', '/v1/api-keys', adminKey);
    expect(listed.status).toBe(200);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain((victim.body.key as string).slice(21));
    expect(text).not.toMatch(/secret|sha256/i);
    const keys = listed.body.keys as Record<string, unknown>[];
    expect(Object.keys(keys[0]!).sort()).toEqual([
      'createdAt',
      'expiresAt',
      'keyId',
      'label',
      'lastUsedAt',
      'revokedAt',
      'revokedBy',
      'scopes',
    ]);
    expect(keys.find((key) => key.keyId === adminKeyId)).toMatchObject({ lastUsedAt: expect.any(String) });

    expect(await call('POST', '/v1/api-keys/0123456789ab/revoke', adminKey)).toMatchObject({ status: 404, body: { code: 'not-found' } });
    expect(await call('POST', '/v1/api-keys/not-a-key/revoke', adminKey)).toMatchObject({ status: 400, body: { code: 'invalid-field' } });
  });
});
