import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type preHandlerHookHandler } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { embeddedFixture, eventually, type BackboneFixture } from '../../backbone/testing/embedded-fixture.ts';
import { ConsumerRunner } from '../../backbone/consumer/consumer-runner.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { systemClock, uuidV7Ids } from '../../backbone/clock/clock.ts';
import type { NewEvent } from '../../backbone/envelope/event-encoder.ts';
import type { OutgoingMessage } from '../../backbone/messaging/event-bus.ts';
import { createAuditService, type AuditService } from './audit-service.ts';
import { verifyAuditChain } from './verify.ts';

/** A stand-in for the API's auth layer: the caller's scopes come in a test header. */
const requireScope =
  (scope: string): preHandlerHookHandler =>
  (request, reply, done) => {
    const scopes = String(request.headers['x-test-scopes'] ?? '').split(' ');
    if (scopes.includes(scope)) return done();
    void reply.code(403).type('application/problem+json').send({ status: 403, code: 'FORBIDDEN' });
  };

describe('the audit service on the embedded engine', () => {
  let fixture: BackboneFixture;
  let service: AuditService;
  let runner: ConsumerRunner;
  let app: FastifyInstance;
  const published: OutgoingMessage[] = [];
  const registry = new Registry();
  const topics = ['test.audit-a.v1', 'test.audit-b.v1'];

  const event = (topic: string, account: string, paymentId: string, amountMinor: bigint): NewEvent => ({
    topic,
    eventType: 'PaymentCompleted',
    key: account,
    payload: { paymentId, debtorAccount: account, amountMinor, currency: 'EUR' },
  });
  const auditRows = async () =>
    (await fixture.db.query<{ sequence: bigint; event_id: string }>(`select sequence, event_id from audit_log order by sequence`)).rows;

  beforeAll(async () => {
    fixture = await embeddedFixture();
    for (const topic of topics) await fixture.createTopic(topic, 3);
    const logger = pino({ level: 'silent' });
    service = createAuditService(
      {
        db: fixture.db,
        publisher: { publish: async () => {}, publishEach: async () => {} },
        clock: systemClock,
        ids: uuidV7Ids,
        logger,
        metricsRegistry: registry,
      },
      { requireScope, topics, retryDelaysMs: [10], chainIdlePollMs: 60_000 },
    );
    await migrate(fixture.db, service.name, service.migrations);
    runner = new ConsumerRunner(fixture.deps, service.consumers[0]!);
    await runner.start();
    // A long idle poll: only the staged inserts' NOTIFY can wake the chainer in time for these tests.
    for (const worker of service.workers!) await worker.start();
    app = Fastify();
    await service.routes!(app);
    for (let i = 0; i < 6; i++) {
      published.push(
        ...(await fixture.publish([event(topics[i % 2]!, `account-${i % 3}`, `payment-${i}`, 1000n + BigInt(i))], {
          correlationId: i < 4 ? 'flow-a' : 'flow-b',
        })),
      );
    }
    published.push(
      ...(await fixture.publish(
        [{ ...event(topics[0]!, 'account-9', 'nested', 1n), payload: { payment: { paymentId: 'payment-nested' } } }],
        { correlationId: 'flow-c' },
      )),
    );
    await eventually(async () => (await auditRows()).length === 7, 'seven audit entries');
  });

  afterAll(async () => {
    await app?.close();
    await runner?.stop();
    for (const worker of service?.workers ?? []) await worker.stop();
    await fixture?.close();
  });

  it('appends every event of every topic into one gapless, verifiable chain', async () => {
    const rows = await auditRows();
    expect(rows.map((row) => row.sequence)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(new Set(rows.map((row) => row.event_id))).toEqual(new Set(published.map((message) => message.headers!['event-id']!.toString())));
    expect(await verifyAuditChain(fixture.db)).toMatchObject({ ok: true, entries: 7 });
    expect(service.consumers[0]).toMatchObject({ name: 'audit', retry: { mode: 'blocking' } });
    expect(service.workers).toEqual([service.chainer]);
  });

  it('does not append a redelivered event twice, even after the consumer forgot it', async () => {
    await fixture.db.query(`delete from consumer_processed_events where consumer = 'audit'`);
    await fixture.bus.publish(published.slice(0, 2));
    await fixture.publish([event(topics[1]!, 'account-1', 'payment-late', 5n)], { correlationId: 'flow-d' });
    await eventually(async () => (await auditRows()).length === 8, 'the new event');
    expect(await verifyAuditChain(fixture.db)).toMatchObject({ ok: true, entries: 8 });
    const counts = await registry.getSingleMetricAsString('paystream_audit_events_total');
    expect(counts).toMatch(/outcome="duplicate"} 2/);
  });

  it('serves the trail of a correlation id in sequence order, page by page', async () => {
    const first = await app.inject({ url: '/v1/audit?correlationId=flow-a&limit=3', headers: { 'x-test-scopes': 'ops' } });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.entries).toHaveLength(3);
    expect(page1.entries[0]).toMatchObject({
      correlationId: 'flow-a',
      eventType: 'PaymentCompleted',
      payload: { amountMinor: expect.any(String) },
    });
    const second = (
      await app.inject({ url: `/v1/audit?correlationId=flow-a&limit=3&after=${page1.nextAfter}`, headers: { 'x-test-scopes': 'ops' } })
    ).json();
    expect(second.entries).toHaveLength(1);
    expect(second.nextAfter).toBeNull();
    const sequences = [...page1.entries, ...second.entries].map((entry: { sequence: string }) => BigInt(entry.sequence));
    expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : 1)));
    expect(
      new Set([...page1.entries, ...second.entries].map((entry: { payload: { paymentId: string } }) => entry.payload.paymentId)),
    ).toEqual(new Set(['payment-0', 'payment-1', 'payment-2', 'payment-3']));
  });

  it('finds a payment by its id at the top level or under payment', async () => {
    const top = (await app.inject({ url: '/v1/audit?paymentId=payment-4', headers: { 'x-test-scopes': 'ops' } })).json();
    expect(top.entries.map((entry: { payload: { amountMinor: string } }) => entry.payload.amountMinor)).toEqual(['1004']);
    const nested = (await app.inject({ url: '/v1/audit?paymentId=payment-nested', headers: { 'x-test-scopes': 'ops' } })).json();
    expect(nested.entries).toHaveLength(1);
  });

  it('shows consumed events that are not chained yet only when asked, and counts them', async () => {
    // With the chainer stopped, the consumer still takes the event: it waits in audit_pending.
    await service.chainer.stop();
    try {
      await fixture.publish([event(topics[0]!, 'account-7', 'payment-staged', 7n)], { correlationId: 'flow-e' });
      await eventually(async () => (await fixture.db.query(`select 1 from audit_pending`)).rows.length === 1, 'the event to be staged');
      const plain = (await app.inject({ url: '/v1/audit?correlationId=flow-e', headers: { 'x-test-scopes': 'ops' } })).json();
      expect(plain).toEqual({ entries: [], nextAfter: null });
      const withPending = (
        await app.inject({ url: '/v1/audit?correlationId=flow-e&includePending=true', headers: { 'x-test-scopes': 'ops' } })
      ).json();
      expect(withPending).toMatchObject({
        entries: [],
        nextAfter: null,
        pending: [
          {
            sequence: null,
            hash: null,
            prevHash: null,
            correlationId: 'flow-e',
            paymentId: 'payment-staged',
            payload: { amountMinor: '7' },
          },
        ],
      });
      expect(await registry.getSingleMetricAsString('paystream_audit_pending_entries')).toMatch(/paystream_audit_pending_entries 1$/m);
      expect(await registry.getSingleMetricAsString('paystream_audit_chain_lag_seconds')).toMatch(/paystream_audit_chain_lag_seconds \d/);
    } finally {
      await service.chainer.start();
    }
    // Restarted, the chainer finds what was staged while it was away (no NOTIFY is pending for it).
    await eventually(async () => (await fixture.db.query(`select 1 from audit_pending`)).rows.length === 0, 'the chainer to catch up');
    const chained = (
      await app.inject({ url: '/v1/audit?correlationId=flow-e&includePending=true', headers: { 'x-test-scopes': 'ops' } })
    ).json();
    expect(chained).toMatchObject({ entries: [{ correlationId: 'flow-e', sequence: expect.any(String) }], pending: [] });
    expect(await registry.getSingleMetricAsString('paystream_audit_pending_entries')).toMatch(/paystream_audit_pending_entries 0$/m);
    expect(await verifyAuditChain(fixture.db)).toMatchObject({ ok: true });
  });

  it('answers a bad query with problem+json and needs scope ops', async () => {
    const both = await app.inject({ url: '/v1/audit?correlationId=a&paymentId=b', headers: { 'x-test-scopes': 'ops' } });
    expect(both.statusCode).toBe(400);
    expect(both.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(both.json()).toMatchObject({
      status: 400,
      code: 'invalid-field',
      title: expect.any(String),
      type: expect.stringMatching(/^https:/),
      detail: expect.stringMatching(/exactly one/),
    });
    const limit = await app.inject({ url: '/v1/audit?correlationId=a&limit=5000', headers: { 'x-test-scopes': 'ops' } });
    expect(limit.json()).toMatchObject({ status: 400, detail: expect.stringMatching(/limit/) });
    const after = await app.inject({ url: '/v1/audit?correlationId=a&after=-1', headers: { 'x-test-scopes': 'ops' } });
    expect(after.json()).toMatchObject({ status: 400, detail: expect.stringMatching(/after/) });
    const pending = await app.inject({ url: '/v1/audit?correlationId=a&includePending=yes', headers: { 'x-test-scopes': 'ops' } });
    expect(pending.json()).toMatchObject({ status: 400, detail: expect.stringMatching(/includePending/) });
    const reader = await app.inject({ url: '/v1/audit?correlationId=flow-a', headers: { 'x-test-scopes': 'payments:read' } });
    expect(reader.statusCode).toBe(403);
  });
});
