import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonCodec } from '../backbone/codec/index.ts';
import { uuidV7Ids, type Clock } from '../backbone/clock/index.ts';
import { SagaOrchestrator, sagaMigrations } from '../backbone/saga/index.ts';
import { PgliteDatabase } from '../backbone/storage-pglite/index.ts';
import { migrate } from '../backbone/storage/migrate.ts';
import { TableOutbox, outboxMigrations } from '../backbone/outbox/index.ts';
import { installProblemErrorHandler } from '../services/http/error-handler.ts';
import { ApiKeys, gatewayMigrations, installApiKeyAuth, requireScope } from '../services/gateway/index.ts';
import { sagaRoutes } from './saga-routes.ts';

describe('GET /v1/sagas/{sagaId} (PGlite)', () => {
  let db: PgliteDatabase;
  let app: FastifyInstance;
  let url: string;
  let opsKey: string;
  let readerKey: string;
  const clock: Clock = { nowMs: () => Date.parse('2026-03-01T12:00:00Z'), sleep: async () => {} };
  // A second saga type on a clock of its own, run forward until its instance is STUCK.
  let stuckNowMs = Date.parse('2026-03-01T12:00:00Z');
  const stuckClock: Clock = { nowMs: () => stuckNowMs, sleep: async () => {} };

  const call = async (path: string, key?: string, body?: unknown) => {
    const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${url}${path}`, {
      headers,
      ...(body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }),
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
    await migrate(db, 'outbox', outboxMigrations);
    await migrate(db, 'saga', sagaMigrations);
    const keys = new ApiKeys(db, clock);
    ({ key: opsKey } = await keys.create('operator', ['ops']));
    ({ key: readerKey } = await keys.create('reader', ['payments:read']));
    const definition = {
      type: 'example',
      steps: [{ name: 'RESERVE', commandTopic: 'stock.commands', compensation: 'RELEASE' }],
      stepTimeoutMs: 1_000,
      maxAttempts: 2,
      compensation: { maxAttempts: 2, retryDelayMs: 500, timeoutMs: 1_000 },
    };
    const orchestrator = new SagaOrchestrator(
      { db, outbox: new TableOutbox(), codec: new JsonCodec(), clock, ids: uuidV7Ids, logger: pino({ level: 'silent' }) },
      { definition, replyTopic: 'example.replies' },
    );
    await orchestrator.start('saga-1', { orderId: 'o-1' });
    const stuckOrchestrator = new SagaOrchestrator(
      { db, outbox: new TableOutbox(), codec: new JsonCodec(), clock: stuckClock, ids: uuidV7Ids, logger: pino({ level: 'silent' }) },
      { definition: { ...definition, type: 'stuck-example' }, replyTopic: 'example.replies' },
    );
    await stuckOrchestrator.start('saga-stuck', { orderId: 'o-2' });
    // Nobody answers: RESERVE times out twice and fails, its RELEASE times out twice: STUCK.
    for (const ms of [1_000, 2_000, 1_000, 500, 1_000]) {
      stuckNowMs += ms;
      await stuckOrchestrator.fireDueTimers();
    }
    app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } } });
    installProblemErrorHandler(app, () => {});
    installApiKeyAuth(app, keys);
    await app.register(sagaRoutes({ db, requireScope, nowMs: () => clock.nowMs() }));
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('shows an instance with its steps to a key with the scope ops', async () => {
    const found = await call('/v1/sagas/saga-1', opsKey);
    expect(found).toMatchObject({
      status: 200,
      body: {
        sagaId: 'saga-1',
        sagaType: 'example',
        status: 'RUNNING',
        createdAt: '2026-03-01T12:00:00.000Z',
        steps: [
          {
            step: 0,
            name: 'RESERVE',
            attempts: 1,
            firstSentAt: '2026-03-01T12:00:00.000Z',
            endedAt: null,
            outcome: 'PENDING',
            reason: null,
          },
        ],
        compensations: [],
      },
    });
  });

  it("retries a STUCK saga's compensation for a key with the scope ops, recording who and why", async () => {
    expect((await call('/v1/sagas/saga-stuck', opsKey)).body).toMatchObject({ status: 'STUCK' });
    const retried = await call('/v1/sagas/saga-stuck/retries', opsKey, { operator: 'jane', reason: 'stock service redeployed' });
    expect(retried).toMatchObject({
      status: 202,
      body: {
        sagaId: 'saga-stuck',
        status: 'COMPENSATING',
        compensations: [
          {
            name: 'RELEASE',
            outcome: 'PENDING',
            attempts: 2,
            reason: expect.stringMatching(/^by jane \(API key .+\): stock service redeployed$/),
          },
        ],
      },
    });
    const timer = await db.query<{ command_id: string; attempt: number }>(
      `select command_id, attempt from saga_timers where saga_id = 'saga-stuck'`,
    );
    expect(timer.rows).toEqual([{ command_id: 'saga-stuck/compensation/0', attempt: 0 }]);
  });

  it('refuses to retry a saga that is not STUCK (409), an unknown one (404), a retry without a reason (400) or without ops (403)', async () => {
    const problem = expect.stringMatching(/^application\/problem\+json/);
    const body = { operator: 'jane', reason: 'why not' };
    expect(await call('/v1/sagas/saga-1/retries', opsKey, body)).toMatchObject({ status: 409, type: problem, body: { code: 'conflict' } });
    expect(await call('/v1/sagas/nothing-here/retries', opsKey, body)).toMatchObject({ status: 404, body: { code: 'not-found' } });
    expect(await call('/v1/sagas/saga-1/retries', opsKey, { operator: 'jane', reason: '  ' })).toMatchObject({
      status: 400,
      type: problem,
    });
    expect(await call('/v1/sagas/saga-1/retries', opsKey, { operator: 'jane' })).toMatchObject({ status: 400, type: problem });
    expect(await call('/v1/sagas/saga-1/retries', readerKey, body)).toMatchObject({ status: 403, body: { code: 'missing-scope' } });
  });

  it('lists instances by status and type, the longest unchanged first, a page at a time', async () => {
    const all = await call('/v1/sagas', opsKey);
    expect(all.status).toBe(200);
    expect((all.body.sagas as { sagaId: string }[]).map((saga) => saga.sagaId).sort()).toEqual(['saga-1', 'saga-stuck']);
    const running = await call('/v1/sagas?sagaType=example&status=RUNNING', opsKey);
    expect(running.body).toEqual({
      sagas: [
        {
          sagaId: 'saga-1',
          sagaType: 'example',
          status: 'RUNNING',
          createdAt: '2026-03-01T12:00:00.000Z',
          updatedAt: '2026-03-01T12:00:00.000Z',
        },
      ],
      nextCursor: null,
    });
    expect((await call('/v1/sagas?sagaType=example&status=STUCK', opsKey)).body).toEqual({ sagas: [], nextCursor: null });
    const first = await call('/v1/sagas?limit=1', opsKey);
    expect(first.body).toMatchObject({ sagas: [{ sagaId: 'saga-1' }], nextCursor: expect.any(String) });
    const second = await call(`/v1/sagas?limit=1&cursor=${String(first.body.nextCursor)}`, opsKey);
    expect(second.body).toMatchObject({ sagas: [{ sagaId: 'saga-stuck' }], nextCursor: null });
    expect(await call('/v1/sagas?status=LOST', opsKey)).toMatchObject({ status: 400 });
    expect(await call('/v1/sagas?limit=0', opsKey)).toMatchObject({ status: 400, body: { code: 'invalid-field' } });
    const forged = Buffer.from(JSON.stringify(['yesterday', 'saga-1'])).toString('base64url');
    expect(await call(`/v1/sagas?cursor=${forged}`, opsKey)).toMatchObject({ status: 400, body: { code: 'invalid-field' } });
    expect(await call('/v1/sagas', readerKey)).toMatchObject({ status: 403 });
  });

  it('answers problems: 404 for an unknown saga, 400 for a malformed id, 401 without a key, 403 without ops', async () => {
    const problem = expect.stringMatching(/^application\/problem\+json/);
    expect(await call('/v1/sagas/nothing-here', opsKey)).toMatchObject({ status: 404, type: problem, body: { code: 'not-found' } });
    expect(await call('/v1/sagas/bad*id', opsKey)).toMatchObject({ status: 400, type: problem });
    expect(await call('/v1/sagas/saga-1')).toMatchObject({ status: 401, type: problem, body: { code: 'unauthenticated' } });
    expect(await call('/v1/sagas/saga-1', readerKey)).toMatchObject({ status: 403, type: problem, body: { code: 'missing-scope' } });
  });
});
