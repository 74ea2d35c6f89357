import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedFixture, eventually, type BackboneFixture } from '../../backbone/testing/embedded-fixture.ts';
import { ConsumerRunner } from '../../backbone/consumer/consumer-runner.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { uuidV7Ids, type Clock } from '../../backbone/clock/clock.ts';
import type { OutgoingMessage } from '../../backbone/messaging/event-bus.ts';
import { PaymentTopics, customerFacingTopics } from '../../contracts/topics.ts';
import { createNotificationsService, type NotificationsService } from './notifications-service.ts';
import { verifyWebhookSignature } from './signature.ts';
import { startReceiver } from '../../../test/support/webhook-receiver.ts';

/** Time that moves only when the test says so: retries are due exactly when the test advances it. */
function fakeClock(startMs: number): Clock & { advance(ms: number): void } {
  let nowMs = startMs;
  return { nowMs: () => nowMs, sleep: async () => {}, advance: (ms) => void (nowMs += ms) };
}

const allow = () => async () => {};
const completed = (paymentId: string, debtorAccount: string) => ({
  topic: PaymentTopics.completed,
  eventType: 'PaymentCompleted',
  key: debtorAccount,
  payload: { paymentId, uetr: 'uetr-1', debtorAccount, amountMinor: 125050n, currency: 'EUR', route: 'INTERNAL' },
});

describe('notification deliveries on the embedded engine, on a fake clock', () => {
  let fixture: BackboneFixture;
  let service: NotificationsService;
  let runner: ConsumerRunner;
  let app: FastifyInstance;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let sinkDir: string;
  const clock = fakeClock(Date.UTC(2025, 5, 1, 12));
  const registry = new Registry();
  const secrets = new Map<string, string>();
  const ids = new Map<string, string>();
  let first: OutgoingMessage[];

  const rows = async (eventId: string) =>
    (
      await fixture.db.query<{
        channel: string;
        subscription_id: string | null;
        status: string;
        attempts: number;
        last_error: string | null;
      }>(
        `select channel, subscription_id, status, attempts, last_error from notification_deliveries where event_id = $1 order by channel, subscription_id`,
        [eventId],
      )
    ).rows;
  const eventIdOf = (messages: OutgoingMessage[]) => messages[0]!.headers!['event-id']!.toString();
  const statusOf = async (eventId: string, name: string) => (await rows(eventId)).find((row) => row.subscription_id === ids.get(name));

  beforeAll(async () => {
    fixture = await embeddedFixture();
    for (const topic of customerFacingTopics) await fixture.createTopic(topic, 1);
    receiver = await startReceiver((path, count) => (path === '/ok' ? 200 : path === '/flaky' ? (count <= 2 ? 500 : 204) : 503));
    sinkDir = await mkdtemp(join(tmpdir(), 'paystream-notifications-'));
    service = createNotificationsService(
      {
        db: fixture.db,
        publisher: { publish: async () => {}, publishEach: async () => {} },
        clock,
        ids: uuidV7Ids,
        logger: pino({ level: 'silent' }),
        metricsRegistry: registry,
      },
      {
        requireScope: allow,
        retryDelaysMs: [1000, 5000],
        timeoutMs: 2000,
        sinkPath: join(sinkDir, 'notifications.jsonl'),
        accountContacts: async (_tx, accounts) =>
          new Map(accounts.includes('acct-1') ? [['acct-1', { email: 'ann@example.com', phone: '+4915112345678' }]] : []),
      },
    );
    await migrate(fixture.db, service.name, service.migrations);
    app = Fastify();
    await service.routes!(app);
    for (const [name, events] of [
      ['ok', undefined],
      ['flaky', undefined],
      ['down', ['PaymentCompleted']],
      ['failed-only', ['PaymentFailed']],
    ] as const) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        payload: { url: receiver.url(`/${name}`), ...(events ? { events } : {}) },
      });
      expect(response.statusCode).toBe(201);
      secrets.set(name, response.json().secret);
      ids.set(name, response.json().id);
    }
    runner = new ConsumerRunner(fixture.deps, service.consumers[0]!);
    await runner.start();
    first = await fixture.publish([completed('p-1', 'acct-1')], { correlationId: 'flow-1' });
    await eventually(async () => (await rows(eventIdOf(first))).length === 5, 'five deliveries of the first event');
  });

  afterAll(async () => {
    await app?.close();
    await runner?.stop();
    await receiver?.close();
    await fixture?.close();
    if (sinkDir) await rm(sinkDir, { recursive: true, force: true });
  });

  it('records one delivery per matching subscription and per contact, nothing for a non-matching one', async () => {
    const channels = (await rows(eventIdOf(first))).map((row) => row.channel);
    expect(channels.sort()).toEqual(['email', 'sms', 'webhook', 'webhook', 'webhook']);
    expect(await statusOf(eventIdOf(first), 'failed-only')).toBeUndefined();
  });

  it('sends a signed body that the receiver can verify, with the event id as idempotency key', async () => {
    expect(await service.deliveryWorker.deliverDue()).toBe(5);
    const request = receiver.requests.find((received) => received.path === '/ok')!;
    const signature = String(request.headers['paystream-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(signature.startsWith(`t=${Math.floor(clock.nowMs() / 1000)},`)).toBe(true);
    expect(verifyWebhookSignature({ header: signature, body: request.body, secret: secrets.get('ok')!, nowMs: clock.nowMs() })).toEqual({
      ok: true,
    });
    expect(
      verifyWebhookSignature({ header: signature, body: request.body, secret: secrets.get('flaky')!, nowMs: clock.nowMs() }),
    ).toMatchObject({ ok: false });
    expect(request.headers['paystream-event-id']).toBe(eventIdOf(first));
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      eventId: eventIdOf(first),
      eventType: 'PaymentCompleted',
      occurredAt: expect.any(String),
      correlationId: 'flow-1',
      data: { paymentId: 'p-1', uetr: 'uetr-1', debtorAccount: 'acct-1', amountMinor: '125050', currency: 'EUR', route: 'INTERNAL' },
    });
    expect(await statusOf(eventIdOf(first), 'ok')).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('writes emails and SMS to the sink file through the same worker', async () => {
    const lines = (await readFile(join(sinkDir, 'notifications.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(lines.find((line) => line.channel === 'email')).toMatchObject({
      to: 'ann@example.com',
      subject: 'Payment completed',
      text: 'Payment p-1 of 1250.50 EUR has been completed.',
    });
    expect(lines.find((line) => line.channel === 'sms')).toMatchObject({ to: '+4915112345678', idempotencyKey: expect.any(String) });
  });

  it('retries a failing receiver after each delay and delivers on the 3rd attempt', async () => {
    expect(await statusOf(eventIdOf(first), 'flaky')).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 500' });
    expect(await service.deliveryWorker.deliverDue()).toBe(0);
    clock.advance(999);
    expect(await service.deliveryWorker.deliverDue()).toBe(0);
    clock.advance(1);
    expect(await service.deliveryWorker.deliverDue()).toBe(2);
    expect(await statusOf(eventIdOf(first), 'flaky')).toMatchObject({ status: 'pending', attempts: 2 });
    clock.advance(5000);
    expect(await service.deliveryWorker.deliverDue()).toBe(2);
    expect(await statusOf(eventIdOf(first), 'flaky')).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
    const flaky = receiver.requests.filter((request) => request.path === '/flaky');
    expect(flaky).toHaveLength(3);
    expect(new Set(flaky.map((request) => request.headers['paystream-event-id']))).toEqual(new Set([eventIdOf(first)]));
  });

  it('dead-letters a receiver that always fails after the last attempt, and an operator can retry it', async () => {
    expect(await statusOf(eventIdOf(first), 'down')).toMatchObject({ status: 'dead_lettered', attempts: 3, last_error: 'HTTP 503' });
    clock.advance(60 * 60_000);
    expect(await service.deliveryWorker.deliverDue()).toBe(0);
    const listed = (await app.inject({ url: `/v1/webhooks/${ids.get('down')}/deliveries?status=dead_lettered` })).json();
    expect(listed.deliveries).toHaveLength(1);
    expect(listed.deliveries[0]).toMatchObject({
      eventId: eventIdOf(first),
      status: 'dead_lettered',
      attempts: 3,
      lastError: 'HTTP 503',
      lastStatusCode: 503,
    });
    const metrics = await registry.getSingleMetricAsString('paystream_notification_deliveries_total');
    expect(metrics).toContain('channel="webhook",outcome="dead_lettered"} 1');
    expect(metrics).toContain('channel="webhook",outcome="sent"} 2');
    expect(metrics).toContain('channel="email",outcome="sent"} 1');

    const retried = await app.inject({
      method: 'POST',
      url: `/v1/webhooks/${ids.get('down')}/deliveries/${listed.deliveries[0].id}/retry`,
    });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await service.deliveryWorker.deliverDue()).toBe(1);
    expect(await statusOf(eventIdOf(first), 'down')).toMatchObject({ status: 'pending', attempts: 1 });
    const again = await app.inject({ method: 'POST', url: `/v1/webhooks/${ids.get('down')}/deliveries/${listed.deliveries[0].id}/retry` });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('does not record a second delivery for a redelivered event', async () => {
    await fixture.db.query(`delete from consumer_processed_events where consumer = 'notifications'`);
    await fixture.bus.publish(first);
    const next = await fixture.publish([completed('p-2', 'acct-2')], { correlationId: 'flow-2' });
    await eventually(async () => (await rows(eventIdOf(next))).length === 3, 'the deliveries of the next event');
    expect(await rows(eventIdOf(first))).toHaveLength(5);
  });

  it("pages a subscription's deliveries oldest first, limit at a time, following nextAfter to the end", async () => {
    const whole = (await app.inject({ url: `/v1/webhooks/${ids.get('ok')}/deliveries` })).json();
    expect(whole.deliveries).toHaveLength(2);
    expect(whole.nextAfter).toBeNull();
    const first = (await app.inject({ url: `/v1/webhooks/${ids.get('ok')}/deliveries?limit=1` })).json();
    expect(first.deliveries.map((delivery: { id: string }) => delivery.id)).toEqual([whole.deliveries[0].id]);
    expect(first.nextAfter).toBe(whole.deliveries[0].id);
    const second = (await app.inject({ url: `/v1/webhooks/${ids.get('ok')}/deliveries?limit=1&after=${first.nextAfter}` })).json();
    expect(second.deliveries.map((delivery: { id: string }) => delivery.id)).toEqual([whole.deliveries[1].id]);
    expect(second.nextAfter).toBeNull();
  });

  it('cancels pending deliveries of a deleted subscription', async () => {
    expect((await app.inject({ method: 'DELETE', url: `/v1/webhooks/${ids.get('down')}` })).statusCode).toBe(204);
    expect(await statusOf(eventIdOf(first), 'down')).toMatchObject({ status: 'cancelled' });
    expect((await app.inject({ method: 'DELETE', url: `/v1/webhooks/${ids.get('down')}` })).statusCode).toBe(404);
  });
});
