import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasKafka, hasPostgres } from '../support/engines.ts';
import { EventEncoder } from '../../src/backbone/envelope/index.ts';
import { orderEvent, OrderTopics, type OrderPlaced } from '../../src/apps/orders/index.ts';
import { Scopes } from '../../src/services/http/index.ts';
import { startTestPlatform, type Engine, type JsonBody, type TestPlatform } from '../support/platform-fixture.ts';
import { startHttpGate, type HttpGate } from '../support/http-gate.ts';

// The choreographed order flow (src/apps/orders) end to end over HTTP, on both engines: the happy
// path and each failure path with its compensations. Money is checked in the ledger (balances and
// its invariants), stock through the inventory API; every event of an order carries its id as
// correlation id.
const engines: { engine: Engine; available: boolean; reason: string }[] = [
  { engine: 'embedded', available: true, reason: '' },
  {
    engine: 'kafka',
    available: hasKafka() && hasPostgres(),
    reason: 'needs Kafka and PostgreSQL (REQUIRE_KAFKA/REQUIRE_POSTGRES make CI fail instead)',
  },
];

/** Orders above 500.00 score as fraud in these tests (the default ceiling is 5,000.00, above the Travel Rule's threshold). */
const fraudCeilingMinor = 50_000n;

for (const { engine, available, reason } of engines) {
  describe.skipIf(!available)(`the order flow on ${engine}${available ? '' : ` (skipped: ${reason})`}`, () => {
    let ps: TestPlatform;
    // The order flow reaches the payment API through a gate (ORDERS_PAYMENTS_API_URL), which lets
    // every request through but can answer chosen ones 503, as an API that is down would.
    let gate: HttpGate;
    beforeAll(async () => {
      gate = await startHttpGate();
      ps = await startTestPlatform(engine, {
        ordersPaymentsApiUrl: gate.url,
        awaitScreeningLists: true,
        orders: {
          retryDelaysMs: [100, 200],
          payment: { recoveryIntervalMs: 200, recheckAfterMs: 1_000 },
          fraudCheck: { maxAmountMinor: fraudCeilingMinor },
        },
      });
      gate.target = ps.url;
    }, 180_000);
    afterAll(async () => {
      await ps?.close();
      await gate?.close();
    }, 60_000);
    afterEach(async () => ps.assertInvariants());

    it('ships a paid, reserved and cleared order, with one correlation id on every event', async () => {
      const { customer, merchant } = await accounts(ps, '100.00');
      const sku = await stock(ps, 5);
      const orderId = await place(ps, { customer, merchant, items: [{ sku, quantity: 2, unitPrice: '10.00' }] });
      const order = await ended(ps, orderId);
      expect(order).toMatchObject({ status: 'SHIPPED', cancellation: null, amount: '20.00', currency: 'EUR' });
      expect(types(order)).toEqual(
        expect.arrayContaining(['OrderPlaced', 'PaymentCompleted', 'InventoryReserved', 'OrderChecked', 'ShipmentCreated']),
      );
      expect(types(order)).not.toContain('PaymentRefunded');
      expect(new Set(order.timeline.map((entry: { correlationId: string }) => entry.correlationId))).toEqual(new Set([orderId]));
      expect(await ps.account(customer)).toMatchObject({ balance: '80.00', reserved: '0.00' });
      expect(await ps.account(merchant)).toMatchObject({ balance: '20.00' });
      expect(await units(ps, sku)).toBe(3);
      expect(await notifications(ps, orderId)).toEqual(['payment-completed', 'shipment-created']);
      const analytics = await ps.api('GET', '/v1/analytics/orders');
      expect(analytics.status).toBe(200);
      const totals = sumMinutes(analytics.body);
      expect(totals.shipped).toBeGreaterThanOrEqual(1);
      expect(totals.revenueEur).toBeGreaterThanOrEqual(20);
    });

    it('refunds and cancels an order whose stock is short (an unknown SKU has none)', async () => {
      const { customer, merchant } = await accounts(ps, '100.00');
      const sku = await stock(ps, 1);
      const orderId = await place(ps, {
        customer,
        merchant,
        items: [
          { sku, quantity: 1, unitPrice: '5.00' },
          { sku: `unknown-${sku}`, quantity: 1, unitPrice: '7.00' },
        ],
      });
      const order = await ended(ps, orderId);
      expect(order).toMatchObject({ status: 'CANCELLED', cancellation: { code: 'OUT_OF_STOCK' } });
      expect(types(order)).toContain('InventoryReservationFailed');
      // Either the payment completed first and was refunded by a real reverse transfer, or the
      // payment participant heard of the shortage first and never paid.
      if (types(order).includes('PaymentCompleted')) expect(types(order)).toContain('PaymentRefunded');
      else expect(types(order)).toContain('PaymentFailed');
      await expectNoMoneyMoved(ps, customer, merchant, '100.00');
      expect(await units(ps, sku)).toBe(1);
    });

    it('releases the stock and cancels an order whose payment fails (insufficient funds)', async () => {
      const { customer, merchant } = await accounts(ps, '5.00');
      const sku = await stock(ps, 4);
      const orderId = await place(ps, { customer, merchant, items: [{ sku, quantity: 1, unitPrice: '12.50' }] });
      const order = await ended(ps, orderId);
      expect(order).toMatchObject({ status: 'CANCELLED', cancellation: { code: 'PAYMENT_FAILED' } });
      expect(types(order)).toContain('PaymentFailed');
      if (types(order).includes('InventoryReserved')) expect(types(order)).toContain('InventoryReleased');
      await expectNoMoneyMoved(ps, customer, merchant, '5.00');
      expect(await units(ps, sku)).toBe(4);
    });

    it('refunds, releases and cancels an order the carrier cannot deliver (country XX)', async () => {
      const { customer, merchant } = await accounts(ps, '100.00');
      const sku = await stock(ps, 2);
      const orderId = await place(ps, { customer, merchant, items: [{ sku, quantity: 2, unitPrice: '15.00' }], destinationCountry: 'XX' });
      const order = await ended(ps, orderId);
      expect(order).toMatchObject({ status: 'CANCELLED', cancellation: { code: 'SHIPMENT_FAILED' } });
      expect(types(order)).toEqual(expect.arrayContaining(['ShipmentFailed', 'PaymentRefunded', 'InventoryReleased', 'OrderCancelled']));
      await expectNoMoneyMoved(ps, customer, merchant, '100.00');
      expect(await units(ps, sku)).toBe(2);
    });

    it('refunds, releases and cancels an order the fraud check flags, telling no one which check fired', async () => {
      const { customer, merchant } = await accounts(ps, '900.00');
      const sku = await stock(ps, 3);
      const orderId = await place(ps, { customer, merchant, items: [{ sku, quantity: 3, unitPrice: '200.00' }] });
      const order = await ended(ps, orderId);
      expect(order).toMatchObject({ status: 'CANCELLED', cancellation: { code: 'ORDER_NOT_PROCESSED' } });
      expect(types(order)).toEqual(expect.arrayContaining(['PaymentCompleted', 'OrderChecked', 'PaymentRefunded', 'InventoryReleased']));
      expect(types(order)).not.toContain('FraudDetected');
      expect(types(order)).not.toContain('ShipmentCreated');
      const told = await ps.platform.backbone.db.query<{ message: string }>(
        `select message from order_notifications where order_id = $1 and kind = 'order-cancelled'`,
        [orderId],
      );
      expect(told.rows.map((row) => row.message)).toEqual([
        'Your order could not be processed and was cancelled. Any payment has been refunded.',
      ]);
      const analytics = sumMinutes((await ps.api('GET', '/v1/analytics/orders')).body);
      expect(analytics.cancelledFor.FRAUD_DETECTED).toBeGreaterThanOrEqual(1);
      await expectNoMoneyMoved(ps, customer, merchant, '900.00');
      expect(await units(ps, sku)).toBe(3);
    });

    it('keeps an order whose refund failed for an operator, who retries it once the merchant is funded', async () => {
      const { customer, merchant } = await accounts(ps, '100.00');
      const supplier = await ps.openAccount('Sam Supplier');
      const sku = await stock(ps, 2);
      // The refund is kept from the payment API until the merchant has spent what the order paid it.
      const isRefund = (request: { headers: Record<string, unknown> }) =>
        String(request.headers['idempotency-key']).startsWith('order-refund-');
      gate.refused = 0;
      gate.refuse = isRefund;
      let orderId: string;
      try {
        orderId = await place(ps, { customer, merchant, items: [{ sku, quantity: 1, unitPrice: '30.00' }], destinationCountry: 'XX' });
        await eventually(async () => expect(gate.refused).toBeGreaterThan(0)); // the carrier refused: the refund is asked for
        expect(await ps.account(merchant)).toMatchObject({ balance: '30.00' });
        const early = await retryRefund(ps, orderId, 'too early');
        expect(early.status).toBe(409);
        expect(early.headers.get('content-type')).toContain('application/problem+json');
        expect(early.body.code).toBe('conflict');
        const spent = await ps.pay(merchant, {
          amount: '30.00',
          creditor: { name: 'Sam Supplier', account: supplier, agent: 'PAYSDEFFXXX', country: 'DE' },
        });
        expect((await ps.settled(spent.paymentId)).status).toBe('COMPLETED');
      } finally {
        gate.refuse = () => false;
      }

      // The refund fails for want of funds: the order stays PLACED, listed for operators and counted on /metrics.
      const waiting = await eventuallyValue(async () => {
        const list = await ps.api('GET', '/v1/orders?attention=refund-failed&limit=500');
        expect(list.status, JSON.stringify(list.body)).toBe(200);
        const entry = list.body.orders.find((order: { orderId: string }) => order.orderId === orderId);
        expect(entry).toBeDefined();
        return entry;
      });
      expect(waiting).toMatchObject({
        customerAccount: customer,
        merchantAccount: merchant,
        amount: '30.00',
        currency: 'EUR',
        refund: { attempt: 1, reasonCode: 'INSUFFICIENT_FUNDS', paymentId: expect.any(String) },
      });
      expect(await refundFailedGauge(ps)).toBe(1);
      await eventually(async () => {
        const stuck = await view(ps, orderId);
        expect(stuck.status).toBe('PLACED');
        expect(stuck.timeline.find((entry: { type: string }) => entry.type === 'PaymentRefundFailed')?.note).toContain(
          'INSUFFICIENT_FUNDS',
        );
      });

      // Ops funds the merchant and retries: a new refund payment, and the order ends cancelled.
      const funded = await ps.api('POST', `/v1/accounts/${merchant}/deposits`, { amount: '30.00' });
      expect(funded.status, JSON.stringify(funded.body)).toBe(201);
      const retried = await retryRefund(ps, orderId, 'merchant funded by deposit');
      expect(retried.status, JSON.stringify(retried.body)).toBe(202);
      expect(retried.body).toEqual({ orderId, attempt: 2 });
      const order = await ended(ps, orderId);
      expect(order).toMatchObject({ status: 'CANCELLED', cancellation: { code: 'SHIPMENT_FAILED' } });
      expect(types(order)).toEqual(
        expect.arrayContaining(['PaymentRefundFailed', 'PaymentRefundRetried', 'PaymentRefunded', 'InventoryReleased', 'OrderCancelled']),
      );
      const note = order.timeline.find((entry: { type: string }) => entry.type === 'PaymentRefundRetried').note;
      expect(note).toMatch(/^refund attempt 2 sent by Olga Ops \(API key .+\): merchant funded by deposit$/);
      expect(await ps.account(customer)).toMatchObject({ balance: '100.00', reserved: '0.00' });
      expect(await ps.account(merchant)).toMatchObject({ balance: '0.00', reserved: '0.00' });
      expect(await ps.account(supplier)).toMatchObject({ balance: '30.00' });
      expect(await units(ps, sku)).toBe(2);
      expect(await refundFailedGauge(ps)).toBe(0);
      const listed = await ps.api('GET', '/v1/orders?attention=refund-failed&limit=500');
      expect(listed.body.orders.map((entry: { orderId: string }) => entry.orderId)).not.toContain(orderId);

      // Done: a second retry is a conflict, an unknown order is not found; the merchant's systems see no operator's words.
      const again = await retryRefund(ps, orderId, 'once more');
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('conflict');
      expect((await retryRefund(ps, 'no-such-order', 'why not')).status).toBe(404);
      const reader = await ps.platform.apiKeys.create('merchant systems', [Scopes.ordersRead]);
      const merchantView = await ps.api('GET', `/v1/orders/${orderId}`, undefined, { authorization: `Bearer ${reader.key}` });
      expect(merchantView.status).toBe(200);
      expect(merchantView.body.timeline.map((entry: { note: unknown }) => entry.note)).toEqual(merchantView.body.timeline.map(() => null));
      const notOps = await ps.api('GET', '/v1/orders?attention=refund-failed', undefined, { authorization: `Bearer ${reader.key}` });
      expect(notOps.status).toBe(403);
    });

    it('pays, reserves and ships an order once when its OrderPlaced arrives again, as a copy and as a new event', async () => {
      const { customer, merchant } = await accounts(ps, '50.00');
      const sku = await stock(ps, 5);
      const orderId = await place(ps, { customer, merchant, items: [{ sku, quantity: 1, unitPrice: '10.00' }] });
      expect((await ended(ps, orderId)).status).toBe('SHIPPED');
      const row = await ps.platform.backbone.db.query<{ amount_minor: bigint; placed_at: Date; destination_country: string }>(
        `select amount_minor, placed_at, destination_country from orders where order_id = $1`,
        [orderId],
      );
      const again: OrderPlaced = {
        orderId,
        customerAccount: customer,
        merchantAccount: merchant,
        currency: 'EUR',
        amountMinor: row.rows[0]!.amount_minor,
        items: [{ sku, quantity: 1, unitPriceMinor: 1_000n }],
        destinationCountry: row.rows[0]!.destination_country,
        placedAt: row.rows[0]!.placed_at.toISOString(),
      };
      // A producer that sends the order again (a new event id), and that copy sent twice (a relay re-sending after a crash).
      const { backbone } = ps.platform;
      const { message } = await new EventEncoder(backbone.codec, backbone.ids, backbone.clock).encode(
        orderEvent(OrderTopics.placed, again),
        {
          correlationId: orderId,
        },
      );
      await backbone.db.transaction((tx) => backbone.outbox.write(tx, [message, message]));
      await eventually(async () => expect(types(await view(ps, orderId)).filter((type) => type === 'OrderPlaced')).toHaveLength(2));
      // Every participant that acts on an order has read both copies.
      for (const group of ['orders-payment', 'orders-inventory', 'orders-shipping'])
        await eventually(async () => {
          const [ends, committed] = await Promise.all([
            backbone.bus.endOffsets(OrderTopics.placed),
            backbone.bus.committedOffsets(group, OrderTopics.placed),
          ]);
          for (const [partition, end] of ends)
            expect(committed.get(partition) ?? 0n, `${group} on partition ${partition}`).toBeGreaterThanOrEqual(end);
        });
      const order = await view(ps, orderId);
      expect(order.status).toBe('SHIPPED');
      for (const type of ['PaymentCompleted', 'InventoryReserved', 'ShipmentCreated'])
        expect(
          types(order).filter((entry) => entry === type),
          type,
        ).toHaveLength(1);
      expect(await ps.account(customer)).toMatchObject({ balance: '40.00', reserved: '0.00' });
      expect(await ps.account(merchant)).toMatchObject({ balance: '10.00' });
      expect(await units(ps, sku)).toBe(4);
    });

    it('places one order for requests repeated with the same Idempotency-Key, and refuses the key for another order', async () => {
      const { customer, merchant } = await accounts(ps, '20.00');
      const sku = await stock(ps, 5);
      const body = {
        customerAccount: customer,
        merchantAccount: merchant,
        currency: 'EUR',
        items: [{ sku, quantity: 1, unitPrice: '3.00' }],
        destinationCountry: 'DE',
      };
      const key = { 'idempotency-key': `order-${sku}` };
      const first = await ps.api('POST', '/v1/orders', body, key);
      const again = await ps.api('POST', '/v1/orders', body, key);
      expect(first.status).toBe(202);
      expect(again.status).toBe(202);
      expect(again.body.orderId).toBe(first.body.orderId);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const other = await ps.api('POST', '/v1/orders', { ...body, items: [{ sku, quantity: 2, unitPrice: '3.00' }] }, key);
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('idempotency-key-reused');
      const malformed = await ps.api('POST', '/v1/orders', body, { 'idempotency-key': 'has space' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('idempotency-key-invalid');
      expect((await ended(ps, first.body.orderId)).status).toBe('SHIPPED');
      expect(await ps.account(customer)).toMatchObject({ balance: '17.00' });
      expect(await units(ps, sku)).toBe(4);
    });

    it('refuses bad orders with a precise problem', async () => {
      const { customer, merchant } = await accounts(ps, '1.00');
      const base = { customerAccount: customer, merchantAccount: merchant, currency: 'EUR', destinationCountry: 'DE' };
      const cases: [unknown, number, string, string | undefined][] = [
        [{ ...base, items: [] }, 400, 'invalid-field', undefined],
        [{ ...base, items: [{ sku: 'a', quantity: 1, unitPrice: '1.001' }] }, 422, 'too-many-decimals', '/items/0/unitPrice'],
        [{ ...base, items: [{ sku: 'a', quantity: 1, unitPrice: '-1' }] }, 422, 'invalid-amount', '/items/0/unitPrice'],
        [{ ...base, currency: 'XXX', items: [{ sku: 'a', quantity: 1, unitPrice: '1' }] }, 422, 'unknown-currency', '/currency'],
        [
          { ...base, customerAccount: 'DE00000000000000000000', items: [{ sku: 'a', quantity: 1, unitPrice: '1' }] },
          422,
          'invalid-iban',
          '/customerAccount',
        ],
      ];
      for (const [body, status, code, pointer] of cases) {
        const response = await ps.api('POST', '/v1/orders', body);
        expect(response.status, JSON.stringify(response.body)).toBe(status);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(response.body.code).toBe(code);
        if (pointer) expect(response.body.pointer).toBe(pointer);
      }
      expect((await ps.api('GET', '/v1/orders/no-such-order')).status).toBe(404);
      expect((await ps.api('PUT', '/v1/inventory/sku-1', { quantity: -1 })).status).toBe(400);
      const anonymous = await ps.api('POST', '/v1/orders', { ...base, items: [] }, { authorization: '' });
      expect(anonymous.status).toBe(401);
    });
  });
}

async function accounts(ps: TestPlatform, deposit: string): Promise<{ customer: string; merchant: string }> {
  const customer = await ps.openAccount('Carol Customer', { deposit });
  const merchant = await ps.openAccount('Mallory Merchant');
  return { customer, merchant };
}

let skuCounter = 0;
async function stock(ps: TestPlatform, quantity: number): Promise<string> {
  const sku = `sku-${Date.now().toString(36)}-${(skuCounter += 1)}`;
  const response = await ps.api('PUT', `/v1/inventory/${sku}`, { quantity });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return sku;
}

async function units(ps: TestPlatform, sku: string): Promise<number> {
  const response = await ps.api('GET', `/v1/inventory/${sku}`);
  expect(response.status).toBe(200);
  return response.body.quantity;
}

async function place(
  ps: TestPlatform,
  order: { customer: string; merchant: string; items: { sku: string; quantity: number; unitPrice: string }[]; destinationCountry?: string },
): Promise<string> {
  const response = await ps.api('POST', '/v1/orders', {
    customerAccount: order.customer,
    merchantAccount: order.merchant,
    currency: 'EUR',
    items: order.items,
    destinationCountry: order.destinationCountry ?? 'DE',
  });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return response.body.orderId;
}

/** Waits until the order is SHIPPED or CANCELLED, and a moment more for stragglers on the timeline. */
async function ended(ps: TestPlatform, orderId: string, timeoutMs = 60_000): Promise<JsonBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await ps.api('GET', `/v1/orders/${orderId}`);
    expect(view.status).toBe(200);
    if (view.body.status !== 'PLACED') {
      const last = view.body.status === 'SHIPPED' ? 'ShipmentCreated' : 'OrderCancelled';
      // The order's row moves before its last event is on the timeline (that event is consumed next).
      if (types(view.body).includes(last)) return view.body;
    }
    if (Date.now() > deadline) throw new Error(`order ${orderId} is still ${JSON.stringify(view.body)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function view(ps: TestPlatform, orderId: string): Promise<JsonBody> {
  const response = await ps.api('GET', `/v1/orders/${orderId}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function eventually(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Waits until `check` passes and returns what it returned. */
async function eventuallyValue<T>(check: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  let value: T | undefined;
  await eventually(async () => {
    value = await check();
  }, timeoutMs);
  return value as T;
}

function retryRefund(ps: TestPlatform, orderId: string, reason: string) {
  return ps.api('POST', `/v1/orders/${orderId}/refund-retries`, { operator: 'Olga Ops', reason });
}

/** The value of paystream_orders_refund_failed on the platform's /metrics. */
async function refundFailedGauge(ps: TestPlatform): Promise<number> {
  const text = await fetch(`${ps.url}/metrics`).then((response) => response.text());
  const match = /^paystream_orders_refund_failed (\S+)$/m.exec(text);
  expect(match, 'paystream_orders_refund_failed on /metrics').not.toBeNull();
  return Number(match![1]);
}

async function notifications(ps: TestPlatform, orderId: string): Promise<string[]> {
  await eventually(async () => {
    const rows = await ps.platform.backbone.db.query(`select 1 from order_notifications where order_id = $1`, [orderId]);
    expect(rows.rows.length).toBeGreaterThanOrEqual(2);
  });
  const rows = await ps.platform.backbone.db.query<{ kind: string }>(
    `select kind from order_notifications where order_id = $1 order by created_at, kind`,
    [orderId],
  );
  return rows.rows.map((row) => row.kind);
}

function types(order: JsonBody): string[] {
  return order.timeline.map((entry: { type: string }) => entry.type);
}

/** A cancelled order holds no money: both accounts are as before, nothing reserved. */
async function expectNoMoneyMoved(ps: TestPlatform, customer: string, merchant: string, deposit: string): Promise<void> {
  expect(await ps.account(customer)).toMatchObject({ balance: deposit, reserved: '0.00' });
  expect(await ps.account(merchant)).toMatchObject({ balance: '0.00', reserved: '0.00' });
}

function sumMinutes(body: JsonBody): { shipped: number; revenueEur: number; cancelledFor: Record<string, number> } {
  let shipped = 0;
  let revenueEur = 0;
  const cancelledFor: Record<string, number> = {};
  for (const minute of body.minutes) {
    shipped += minute.ordersShipped;
    for (const entry of minute.revenue) if (entry.currency === 'EUR') revenueEur += Number(entry.amount);
    for (const entry of minute.cancellationsByReason) cancelledFor[entry.reason] = (cancelledFor[entry.reason] ?? 0) + entry.orders;
  }
  return { shipped, revenueEur, cancelledFor };
}
