import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type preHandlerHookHandler } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { embeddedFixture, eventually, type BackboneFixture } from '../../backbone/testing/embedded-fixture.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { systemClock, uuidV7Ids } from '../../backbone/clock/clock.ts';
import { handleInTransaction, type ConsumedEvent } from '../../backbone/consumer/handler.ts';
import { PaymentTopics } from '../../contracts/topics.ts';
import { installProblemErrorHandler } from '../http/error-handler.ts';
import { problemOf, sendProblem } from '../http/problem.ts';
import { createNotificationsService, type NotificationsService } from './notifications-service.ts';
import { startReceiver } from '../../../test/support/webhook-receiver.ts';

/** A stand-in for the API's auth layer: the caller's scopes come in a test header. */
const requireScope =
  (scope: string): preHandlerHookHandler =>
  (request, reply, done) => {
    if (
      String(request.headers['x-test-scopes'] ?? '')
        .split(' ')
        .includes(scope)
    )
      return done();
    void sendProblem(reply, problemOf('missing-scope', `needs ${scope}`));
  };
const both = { 'x-test-scopes': 'payments:read payments:write' };

describe('webhook subscriptions and the running delivery worker', () => {
  let fixture: BackboneFixture;
  let service: NotificationsService;
  let app: FastifyInstance;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  const post = (payload: unknown, headers: Record<string, string> = both) =>
    app.inject({ method: 'POST', url: '/v1/webhooks', payload: payload as object, headers });

  beforeAll(async () => {
    fixture = await embeddedFixture();
    receiver = await startReceiver((path, count) => (path === '/hang' ? 'hang' : count <= 2 ? 502 : 200));
    service = createNotificationsService(
      {
        db: fixture.db,
        publisher: { publish: async () => {}, publishEach: async () => {} },
        clock: systemClock,
        ids: uuidV7Ids,
        logger: pino({ level: 'silent' }),
        metricsRegistry: new Registry(),
      },
      { requireScope, retryDelaysMs: [20, 20], timeoutMs: 150, leaseMs: 1000, idlePollMs: 60_000 },
    );
    await migrate(fixture.db, service.name, service.migrations);
    app = Fastify();
    installProblemErrorHandler(app, () => {});
    await service.routes!(app);
  });

  afterAll(async () => {
    await service?.deliveryWorker.stop();
    await app?.close();
    await receiver?.close();
    await fixture?.close();
  });

  it('creates a subscription, shows its secret once, lists it without', async () => {
    const created = await post({ url: 'https://example.com/hooks?token=abc', events: ['PaymentFailed', 'PaymentFailed'] });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toEqual({
      id: expect.any(String),
      url: 'https://example.com/hooks?token=abc',
      events: ['PaymentFailed'],
      createdAt: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    expect(created.headers.location).toBe(`/v1/webhooks/${body.id}`);
    const listed = (await app.inject({ url: '/v1/webhooks', headers: both })).json();
    expect(listed.webhooks).toContainEqual({ id: body.id, url: body.url, events: ['PaymentFailed'], createdAt: body.createdAt });
    expect(JSON.stringify(listed)).not.toContain('whsec_');
  });

  it.each([
    [{ url: 'ftp://example.com/x' }, 'invalid-field', '/url', /http or https, not ftp/],
    [{ url: 'https://user:pw@example.com/x' }, 'invalid-field', '/url', /credentials/],
    [{ url: 'example.com/x' }, 'invalid-field', '/url', /absolute URL/],
    [{ url: 'https://example.com/x#frag' }, 'invalid-field', '/url', /fragment/],
    [{}, 'missing-field', '/url', /url is required/],
    [{ url: 'https://example.com', event: ['PaymentFailed'] }, 'unknown-field', '/event', /unknown field event/],
    [
      { url: 'https://example.com', events: ['PaymentSubmitted'] },
      'invalid-field',
      '/events',
      /unknown event type\(s\): PaymentSubmitted; known: PaymentCompleted, PaymentFailed, PaymentRejected/,
    ],
    [{ url: 'https://example.com', events: [] }, 'invalid-field', '/events', /non-empty/],
  ])('refuses %j with a precise problem', async (payload, code, pointer, detail) => {
    const response = await post(payload);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      type: `https://paystream.dev/problems/${code}`,
      title: expect.any(String),
      status: 400,
      code,
      pointer,
      detail: expect.stringMatching(detail),
    });
  });

  it('answers a body that is not JSON with problem+json', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: '{"url":',
      headers: { ...both, 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'malformed-json', status: 400 });
  });

  it('guards each route with its scope', async () => {
    expect((await post({ url: 'https://example.com' }, { 'x-test-scopes': 'payments:read' })).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/webhooks', headers: { 'x-test-scopes': 'payments:write' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: '/v1/webhooks/x', headers: { 'x-test-scopes': 'payments:read' } })).statusCode).toBe(
      403,
    );
    expect((await app.inject({ url: '/v1/webhooks/x/deliveries', headers: { 'x-test-scopes': 'payments:write' } })).statusCode).toBe(403);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/webhooks/x/deliveries/y/retry', headers: { 'x-test-scopes': 'payments:read' } }))
        .statusCode,
    ).toBe(403);
    expect((await app.inject({ url: '/v1/webhooks/x/deliveries', headers: both })).json()).toMatchObject({
      status: 404,
      code: 'not-found',
    });
  });

  it('is woken by the commit of new deliveries, retries on its timer, and times out a hanging receiver', async () => {
    const flaky = (await post({ url: receiver.url('/flaky') })).json();
    const hang = (await post({ url: receiver.url('/hang') })).json();
    await service.deliveryWorker.start();
    const event: ConsumedEvent = {
      envelope: {
        eventId: 'event-loop-1',
        eventType: 'PaymentRejected',
        schemaVersion: 1,
        occurredAt: new Date().toISOString(),
        correlationId: 'flow-loop',
        causationId: null,
        key: 'acct',
        traceparent: '',
      },
      payload: { paymentId: 'p-loop', debtorAccount: 'acct', reasonCode: 'AC01', reason: 'closed' },
      topic: PaymentTopics.rejected,
      partition: 0,
      offset: 0n,
      attempt: 0,
    };
    await handleInTransaction(fixture.db, service.consumers[0]!, event);
    const statusOf = async (subscriptionId: string) =>
      (
        await fixture.db.query<{ status: string; attempts: number; last_error: string | null }>(
          `select status, attempts, last_error from notification_deliveries where subscription_id = $1`,
          [subscriptionId],
        )
      ).rows[0];
    await eventually(async () => (await statusOf(flaky.id))?.status === 'delivered', 'the flaky receiver served on the 3rd attempt', 5000);
    expect(await statusOf(flaky.id)).toMatchObject({ attempts: 3 });
    await eventually(async () => (await statusOf(hang.id))?.status === 'dead_lettered', 'the hanging receiver dead-lettered', 5000);
    expect(await statusOf(hang.id)).toMatchObject({ attempts: 3, last_error: 'timed out after 150 ms' });
    await service.deliveryWorker.stop();
  });
});
