import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/services/audit/index.ts';
import { signatureHeader, eventIdHeader, verifyWebhookSignature } from '../../src/services/notifications/index.ts';
import { startReceiver, type ReceivedRequest } from '../support/webhook-receiver.ts';
import { hasKafka, hasPostgres } from '../support/engines.ts';
import { startTestPlatform, type Engine, type JsonBody, type TestPlatform } from '../support/platform-fixture.ts';

// What happens around a payment, end to end over HTTP on both engines: the signed webhook its
// completion sends to a real HTTP receiver, the audit trail of its flow and the integrity of the
// audit chain, and that a broken webhook endpoint stays the notifications' problem, never the
// payment's.
const engines: { engine: Engine; available: boolean; reason: string }[] = [
  { engine: 'embedded', available: true, reason: '' },
  {
    engine: 'kafka',
    available: hasKafka() && hasPostgres(),
    reason: 'needs Kafka and PostgreSQL (REQUIRE_KAFKA/REQUIRE_POSTGRES make CI fail instead)',
  },
];

/** Every event of a payment over RTGS, in the order the flow produces them. */
const rtgsFlow = [
  'PaymentSubmitted',
  'PaymentValidated',
  'PaymentInitiated',
  'PaymentScored',
  'PaymentCleared',
  'PaymentReserved',
  'RtgsSubmitted',
  'RtgsSettled',
  'PaymentCompleted',
];

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

for (const { engine, available, reason } of engines) {
  describe.skipIf(!available)(`audit and notifications end to end on ${engine}${available ? '' : ` (skipped: ${reason})`}`, () => {
    let ps: TestPlatform;
    const receivers: Receiver[] = [];
    const receiver = async (respond: Parameters<typeof startReceiver>[0]) => {
      const started = await startReceiver(respond);
      receivers.push(started);
      return started;
    };
    const subscribe = async (url: string) => {
      const created = await ps.api('POST', '/v1/webhooks', { url, events: ['PaymentCompleted'] });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body as { id: string; secret: string };
    };

    beforeAll(async () => {
      ps = await startTestPlatform(engine);
    }, 120_000);
    afterAll(async () => {
      // Receivers first: a request still in flight then fails at once instead of holding up the
      // delivery worker's stop.
      for (const started of receivers) await started.close();
      await ps?.close();
    }, 60_000);
    afterEach(async () => ps.assertInvariants());

    it('sends a signed PaymentCompleted webhook and audits every event of the payment in order', async () => {
      const endpoint = await receiver(() => 200);
      const subscription = await subscribe(endpoint.url('/paystream'));
      const alice = await ps.openAccount('Alice Example', { deposit: '500.00' });
      const accepted: JsonBody = await ps.pay(alice, { amount: '125.00' });
      const payment = await ps.settled(accepted.paymentId);
      expect(payment.status).toBe('COMPLETED');

      const delivered = await eventually(
        () => endpoint.requests.find((request) => isCompletionOf(request, accepted.paymentId)),
        'the PaymentCompleted webhook',
      );
      const body = JSON.parse(delivered.body);
      expect(body).toMatchObject({
        eventType: 'PaymentCompleted',
        correlationId: accepted.correlationId,
        data: { paymentId: accepted.paymentId, uetr: accepted.uetr, currency: 'EUR' },
      });
      expect(delivered.headers[eventIdHeader]).toBe(body.eventId);
      const signature = delivered.headers[signatureHeader];
      expect(typeof signature).toBe('string');
      const check = { header: signature as string, body: delivered.body, secret: subscription.secret, nowMs: Date.now() };
      expect(verifyWebhookSignature(check)).toEqual({ ok: true });
      // The check is not trivially ok: one byte of the body changed, or another secret, fails it.
      expect(verifyWebhookSignature({ ...check, body: delivered.body.replace('125', '925') })).toEqual({ ok: false, reason: 'mismatch' });
      expect(verifyWebhookSignature({ ...check, secret: `${subscription.secret}x` })).toEqual({ ok: false, reason: 'mismatch' });

      // The audit consumer runs on its own; wait until it has the last event of the flow.
      const trail = await eventually(async () => {
        const response = await ps.api('GET', `/v1/audit?correlationId=${encodeURIComponent(accepted.correlationId)}`);
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        const entries: JsonBody[] = response.body.entries;
        return entries.length >= rtgsFlow.length && entries.some((entry) => entry.eventType === 'PaymentCompleted') ? entries : undefined;
      }, 'the audit trail to reach PaymentCompleted');
      // Fraud scoring emits PaymentScored and PaymentCleared in one transaction, on two topics: the
      // audit may read either first. The causal check below holds the order that matters.
      expect(trail.map((entry) => entry.eventType).sort()).toEqual([...rtgsFlow].sort());
      for (const entry of trail) expect(entry).toMatchObject({ correlationId: accepted.correlationId, paymentId: accepted.paymentId });
      const sequences = trail.map((entry) => BigInt(entry.sequence));
      expect(sequences.every((sequence, index) => index === 0 || sequence > sequences[index - 1]!)).toBe(true);
      // Every event after the submission was caused by one before it in the trail: the order is causal.
      expect(trail[0].causationId).toBeNull();
      for (let index = 1; index < trail.length; index++) {
        expect(
          trail.slice(0, index).map((entry) => entry.eventId),
          `the cause of ${trail[index].eventType}`,
        ).toContain(trail[index].causationId);
      }
      // The payment's own timeline shows the customer's steps among the same events (not the
      // internal checks: screening, fraud scoring), and the webhook carried the last of them.
      const view = await ps.api('GET', `/v1/payments/${accepted.paymentId}`);
      const customerSteps = trail.filter((entry) => !['PaymentInitiated', 'PaymentScored', 'PaymentCleared'].includes(entry.eventType));
      expect(new Set(view.body.timeline.map((entry: JsonBody) => entry.eventId))).toEqual(
        new Set(customerSteps.map((entry) => entry.eventId)),
      );
      expect(view.body.timeline.map((entry: JsonBody) => entry.type).sort()).toEqual(customerSteps.map((entry) => entry.eventType).sort());
      expect(trail.find((entry) => entry.eventType === 'PaymentCompleted').eventId).toBe(body.eventId);

      const verification = await verifyAuditChain(ps.platform.backbone.db);
      expect(verification).toMatchObject({ ok: true });
      expect(verification.entries).toBeGreaterThanOrEqual(rtgsFlow.length);
    });

    it('completes payments while a webhook endpoint hangs and then fails every attempt', async () => {
      // The first request hangs for the whole delivery timeout (10 s); every later one is a 500.
      const broken = await receiver((_path, count) => (count === 1 ? 'hang' : 500));
      const subscription = await subscribe(broken.url('/broken'));
      const alice = await ps.openAccount('Alice Example', { deposit: '500.00' });

      const first: JsonBody = await ps.pay(alice, { amount: '10.00' });
      expect((await ps.settled(first.paymentId)).status).toBe('COMPLETED');
      await eventually(
        () => broken.requests.find((request) => isCompletionOf(request, first.paymentId)),
        'the first delivery attempt to the broken endpoint',
      );

      // While that attempt hangs, another payment goes all the way through.
      const second: JsonBody = await ps.pay(alice, { amount: '20.00' });
      expect((await ps.settled(second.paymentId)).status).toBe('COMPLETED');
      expect(broken.requests.filter((request) => isCompletionOf(request, first.paymentId))).toHaveLength(1);
      const inFlight = await deliveriesOf(ps, subscription.id);
      expect(inFlight.find((delivery) => delivery.eventId === JSON.parse(broken.requests[0]!.body).eventId)).toMatchObject({
        status: 'pending',
        deliveredAt: null,
      });

      // The endpoint's failures end as dead letters for operators (a timeout, then 500s: three
      // attempts with the test's two retry delays); the payments stay completed.
      const deadLettered = await eventually(
        async () => {
          const deliveries = await deliveriesOf(ps, subscription.id);
          return deliveries.length === 2 && deliveries.every((delivery) => delivery.status === 'dead_lettered') ? deliveries : undefined;
        },
        'both deliveries to the broken endpoint to be dead-lettered',
        40_000,
      );
      for (const delivery of deadLettered)
        expect(delivery).toMatchObject({ eventType: 'PaymentCompleted', attempts: 3, lastStatusCode: 500, deliveredAt: null });
      expect(broken.requests.filter((request) => isCompletionOf(request, first.paymentId))).toHaveLength(3);
      expect(broken.requests.filter((request) => isCompletionOf(request, second.paymentId))).toHaveLength(3);
      for (const { paymentId } of [first, second]) expect((await ps.api('GET', `/v1/payments/${paymentId}`)).body.status).toBe('COMPLETED');
      expect(await ps.account(alice)).toMatchObject({ balance: '470.00', reserved: '0.00' });

      expect((await ps.api('DELETE', `/v1/webhooks/${subscription.id}`)).status).toBe(204);
    }, 60_000);
  });
}

function isCompletionOf(request: ReceivedRequest, paymentId: string): boolean {
  const body = JSON.parse(request.body) as { eventType?: string; data?: { paymentId?: string } };
  return body.eventType === 'PaymentCompleted' && body.data?.paymentId === paymentId;
}

async function deliveriesOf(ps: TestPlatform, subscriptionId: string): Promise<JsonBody[]> {
  const response = await ps.api('GET', `/v1/webhooks/${subscriptionId}/deliveries`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.deliveries;
}

/** Polls `probe` until it returns a value (not undefined), or fails naming what it waited for. */
async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
