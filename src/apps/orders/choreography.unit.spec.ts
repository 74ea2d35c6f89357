import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Fastify from 'fastify';
import pino from 'pino';
import { PgliteDatabase } from '../../backbone/storage-pglite/index.ts';
import { migrate } from '../../backbone/storage/index.ts';
import { handleInTransaction, type ConsumedEvent, type ConsumerOptions } from '../../backbone/consumer/index.ts';
import { JsonCodec } from '../../backbone/codec/index.ts';
import { systemClock, uuidV7Ids } from '../../backbone/clock/index.ts';
import { EventEncoder, envelopeFromHeaders, type EventCause, type NewEvent } from '../../backbone/envelope/index.ts';
import type { OutgoingMessage } from '../../backbone/messaging/index.ts';
import { PaymentTopics } from '../../contracts/index.ts';
import { createOrdersApp, OrderTopics, type OrdersAppDeps } from './index.ts';
import { checkOrder, placeOrder } from './orders/participant.ts';
import { outboxPublisher } from './app.ts';
import { installProblemErrorHandler } from '../../services/http/index.ts';
import type { PaymentsApi } from './payment/payments-api.ts';

// The choreography as a whole, on the participants' real handlers and tables (PGlite): random
// orders that fail at random places (stock short, funds short, a carrier that refuses, a fraud
// finding), their events delivered in a random order across and within topics, some of them
// twice; paystream's payment flow is a small in-memory ledger behind the payment API's port. Some
// merchants spend what an order paid them before its refund, which then fails; an operator funds
// the merchant and retries it through the API's route. Once nothing is left to deliver, every
// order is SHIPPED or CANCELLED and the invariants hold.

const merchant = 'DE89370400440532013000';
const customerOf = (index: number) =>
  [
    'DE02120300000000202051',
    'DE02500105170137075030',
    'DE12500105170648489890',
    'DE02100100109307118603',
    'DE88100900001234567892',
    'DE75512108001245126199',
  ][index]!;
const fraudCeilingMinor = 15_000n;

interface OrderCase {
  depositMinor: bigint;
  lines: { sku: 'a' | 'b'; quantity: number; unitPriceMinor: bigint }[];
  destinationCountry: 'DE' | 'XX';
  /** The merchant spends all it holds just before this order's first refund, which then fails. */
  merchantSpendsFirst: boolean;
}

const orderCase: fc.Arbitrary<OrderCase> = fc.record({
  depositMinor: fc.bigInt(0n, 30_000n),
  lines: fc.array(
    fc.record({
      sku: fc.constantFrom('a' as const, 'b' as const),
      quantity: fc.integer({ min: 1, max: 3 }),
      unitPriceMinor: fc.bigInt(100n, 9_000n),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  destinationCountry: fc.constantFrom('DE' as const, 'DE' as const, 'DE' as const, 'XX' as const),
  merchantSpendsFirst: fc.boolean(),
});

describe('the order choreography under random failures, reordering and duplicate deliveries', () => {
  let db: PgliteDatabase;
  beforeAll(async () => {
    db = await PgliteDatabase.open();
  });
  afterAll(async () => db?.close());

  it('ends every order SHIPPED or CANCELLED; a cancelled order holds no money and no stock, a shipped one was paid and reserved once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(orderCase, { minLength: 1, maxLength: 6 }),
        fc.record({ a: fc.integer({ min: 0, max: 6 }), b: fc.integer({ min: 0, max: 6 }) }),
        fc.infiniteStream(fc.nat()),
        fc.infiniteStream(fc.integer({ min: 0, max: 3 })),
        async (cases, stock, picks, duplicates) => {
          const run = await newRun(db, stock);
          for (const [index, order] of cases.entries()) await run.place(index, order);
          const pick = picks[Symbol.iterator]();
          const duplicate = duplicates[Symbol.iterator]();
          const deliverAll = () =>
            run.deliverAll(
              () => pick.next().value as number,
              () => duplicate.next().value === 0,
            );
          await deliverAll();
          // Every refund that failed is retried once the merchant is funded; a retry never needs a second one here.
          const retried = await run.retryFailedRefunds();
          await deliverAll();
          expect(await run.retryFailedRefunds(), 'refunds failed again after their retry').toEqual([]);
          await run.assertInvariants(cases, stock, retried);
        },
      ),
      { numRuns: 20 },
    );
  }, 240_000);
});

/** One run: fresh tables, a fake payment API, a queue of undelivered events per consumer. */
async function newRun(db: PgliteDatabase, stock: { a: number; b: number }) {
  await db.exec(`drop schema public cascade; create schema public;`);
  const codec = new JsonCodec();
  const encoder = new EventEncoder(codec, uuidV7Ids, systemClock);
  const queues = new Map<ConsumerOptions, ConsumedEvent[]>();
  const published: ConsumedEvent[] = [];
  const enqueue = async (messages: readonly OutgoingMessage[]) => {
    for (const message of messages) {
      const { envelope } = envelopeFromHeaders(message.headers ?? {}, message.key);
      const payload = await codec.decode(message.topic, envelope.eventType, message.value!);
      const event: ConsumedEvent = {
        envelope: { ...envelope, correlationId: envelope.correlationId ?? '' },
        payload,
        topic: message.topic,
        partition: 0,
        offset: 0n,
        attempt: 0,
      };
      published.push(event);
      for (const [consumer, queue] of queues) if (consumer.topics.includes(message.topic)) queue.push(event);
    }
  };
  const ledger = new FakePaymentFlow(merchant, (messages) => enqueue(messages), encoder);
  const deps: OrdersAppDeps = {
    db,
    outbox: { write: async (_tx, messages) => void (await enqueue(messages)) },
    codec,
    clock: systemClock,
    ids: uuidV7Ids,
    logger: pino({ level: 'silent' }),
    requireScope: () => async () => {},
    callerOf: () => 'test',
    callerHolds: () => true,
    paymentsApi: ledger,
  };
  const app = createOrdersApp(deps, { bankBic: 'PAYSDEFFXXX', fraudCheck: { maxAmountMinor: fraudCeilingMinor } });
  for (const participant of app.participants) await migrate(db, participant.name, participant.migrations);
  // The operators' routes, called as an operator would.
  const http = Fastify();
  installProblemErrorHandler(http, () => {});
  for (const participant of app.participants) if (participant.name === 'orders-payment') await http.register(participant.routes!);
  await http.ready();
  // Analytics adds up what it reads, so it relies on the runner's processed ids against
  // duplicates; every other participant is idempotent by itself, which this test checks by
  // handing it duplicates directly.
  for (const participant of app.participants)
    if (participant.name !== 'orders-analytics') for (const consumer of participant.consumers) queues.set(consumer, []);
  for (const [sku, quantity] of Object.entries(stock))
    await db.query(`insert into inventory_stock (sku, quantity, updated_at) values ($1, $2, now())`, [sku, BigInt(quantity)]);
  const publish = outboxPublisher(deps);
  const orderIds: string[] = [];
  return {
    async place(index: number, order: OrderCase) {
      ledger.deposit(customerOf(index), order.depositMinor);
      const placed = checkOrder(
        {
          customerAccount: customerOf(index),
          merchantAccount: merchant,
          currency: 'EUR',
          items: order.lines.map((line) => ({
            sku: line.sku,
            quantity: line.quantity,
            unitPrice: (Number(line.unitPriceMinor) / 100).toFixed(2),
          })),
          destinationCountry: order.destinationCountry,
        },
        uuidV7Ids.eventId(),
        new Date(),
      );
      await placeOrder(db, publish, placed);
      orderIds.push(placed.orderId);
      if (order.merchantSpendsFirst) ledger.spendBeforeFirstRefundOf(placed.orderId);
    },
    /** Funds the merchant with each failed refund's amount and retries it through the route; returns the orders retried. */
    async retryFailedRefunds(): Promise<string[]> {
      const failed = await db.query<{ order_id: string; amount_minor: bigint }>(
        `select order_id, amount_minor from order_payments where stage = 'refund-failed' order by order_id`,
      );
      for (const row of failed.rows) {
        ledger.fund(merchant, row.amount_minor);
        const answer = await http.inject({
          method: 'POST',
          url: `/v1/orders/${row.order_id}/refund-retries`,
          payload: { operator: 'Olga', reason: 'merchant funded' },
        });
        expect(answer.statusCode, answer.body).toBe(202);
        expect(answer.json()).toEqual({ orderId: row.order_id, attempt: 2 });
      }
      // A refund under way, done or never needed is not retried.
      const again = await http.inject({
        method: 'POST',
        url: `/v1/orders/${orderIds[0]}/refund-retries`,
        payload: { operator: 'Olga', reason: 'once more' },
      });
      expect(again.statusCode, again.body).toBe(409);
      return failed.rows.map((row) => row.order_id);
    },
    /** Delivers a random waiting event to a random consumer until none waits, sometimes leaving a copy to deliver again. */
    async deliverAll(pick: () => number, again: () => boolean) {
      for (let step = 0; ; step += 1) {
        if (step > 5_000) throw new Error('the choreography did not come to rest');
        const waiting = [...queues].filter(([, queue]) => queue.length > 0);
        if (waiting.length === 0) return;
        const [consumer, queue] = waiting[pick() % waiting.length]!;
        const index = pick() % queue.length;
        const event = queue[index]!;
        if (!again()) queue.splice(index, 1);
        // What the handler emitted goes out as its transaction commits, its envelope derived from the event it handled.
        const emitted = await handleInTransaction(db, consumer, event);
        const cause: EventCause = {
          correlationId: event.envelope.correlationId,
          eventId: event.envelope.eventId,
          traceparent: event.envelope.traceparent,
        };
        await enqueue(await Promise.all(emitted.map(async (next: NewEvent) => (await encoder.encode(next, cause)).message)));
      }
    },
    async assertInvariants(cases: readonly OrderCase[], initial: { a: number; b: number }, retried: readonly string[]) {
      const orders = (await db.query<{ order_id: string; status: string }>(`select order_id, status from orders`)).rows;
      const statusOf = new Map(orders.map((row) => [row.order_id, row.status]));
      const shippedUnits = { a: 0, b: 0 };
      for (const [index, orderId] of orderIds.entries()) {
        const order = cases[index]!;
        const status = statusOf.get(orderId);
        const amountMinor = order.lines.reduce((sum, line) => sum + line.unitPriceMinor * BigInt(line.quantity), 0n);
        const reservation = (await db.query<{ stage: string }>(`select stage from inventory_reservations where order_id = $1`, [orderId]))
          .rows[0]?.stage;
        const count = (topic: string) =>
          new Set(
            published
              .filter((event) => event.topic === topic && (event.payload as { orderId?: string }).orderId === orderId)
              .map((event) => event.envelope.eventId),
          ).size;
        expect(['SHIPPED', 'CANCELLED'], `order ${index} ended`).toContain(status);
        expect(count(OrderTopics.paymentRefunded), 'refunded at most once').toBeLessThanOrEqual(1);
        expect(count(OrderTopics.inventoryReleased), 'released at most once').toBeLessThanOrEqual(1);
        expect(count(OrderTopics.cancelled), 'cancelled at most once').toBeLessThanOrEqual(1);
        expect(count(OrderTopics.shipmentCreated), 'shipped at most once').toBeLessThanOrEqual(1);
        expect(ledger.paymentsOf(orderId).pay, 'paid at most once').toBeLessThanOrEqual(1);
        expect(count(OrderTopics.paymentRefundRetried), 'a refund retried only when it failed, once here').toBe(
          retried.includes(orderId) ? 1 : 0,
        );
        expect(count(OrderTopics.paymentRefundFailed), 'a refund fails only where the merchant spent first').toBe(
          retried.includes(orderId) ? 1 : 0,
        );
        if (status === 'CANCELLED') {
          expect(ledger.balance(customerOf(index)), 'a cancelled order holds no money').toBe(order.depositMinor);
          expect(['failed', 'released', 'none'], 'a cancelled order holds no stock').toContain(reservation);
        } else {
          expect(ledger.balance(customerOf(index)), 'a shipped order was paid once').toBe(order.depositMinor - amountMinor);
          expect(ledger.paymentsOf(orderId), 'and never refunded').toEqual({ pay: 1, refund: 0 });
          expect(reservation, 'and reserved').toBe('reserved');
          expect(count(OrderTopics.inventoryReserved)).toBe(1);
          for (const line of order.lines) shippedUnits[line.sku] += line.quantity;
        }
      }
      const left = (await db.query<{ sku: string; quantity: bigint }>(`select sku, quantity from inventory_stock order by sku`)).rows;
      expect(
        Object.fromEntries(left.map((row) => [row.sku, Number(row.quantity)])),
        'stock: what was there less what shipped, never negative',
      ).toEqual({
        a: initial.a - shippedUnits.a,
        b: initial.b - shippedUnits.b,
      });
      expect(ledger.balance(merchant) + ledger.spentMinor - ledger.fundedMinor, 'the merchant holds exactly the shipped orders').toBe(
        orderIds.reduce(
          (sum, orderId, index) =>
            statusOf.get(orderId) === 'SHIPPED'
              ? sum + cases[index]!.lines.reduce((total, line) => total + line.unitPriceMinor * BigInt(line.quantity), 0n)
              : sum,
          0n,
        ),
      );
    },
  };
}

/**
 * paystream's payment flow behind the payment API's port: accepts a payment once per idempotency
 * key, moves the money at once (or fails it for insufficient funds), and publishes the outcome as
 * the payment services would (payments.completed.v1 / payments.failed.v1).
 */
class FakePaymentFlow implements PaymentsApi {
  readonly #balances = new Map<string, bigint>();
  readonly #byKey = new Map<string, string>();
  readonly #outcomes = new Map<string, { completed: true } | { completed: false; reasonCode: string; reason: string }>();
  readonly #orderPayments = new Map<string, { pay: number; refund: number }>();
  readonly #publish: (messages: OutgoingMessage[]) => Promise<void>;
  readonly #encoder: EventEncoder;

  constructor(merchantAccount: string, publish: (messages: OutgoingMessage[]) => Promise<void>, encoder: EventEncoder) {
    this.#balances.set(merchantAccount, 0n);
    this.#merchantAccount = merchantAccount;
    this.#publish = publish;
    this.#encoder = encoder;
  }

  /** What merchants spent before a refund, and what operators funded them with after. */
  spentMinor = 0n;
  fundedMinor = 0n;
  readonly #spendBeforeRefund = new Set<string>();
  readonly #merchantAccount: string;

  deposit(account: string, amountMinor: bigint) {
    this.#balances.set(account, amountMinor);
  }
  fund(account: string, amountMinor: bigint) {
    this.#balances.set(account, this.balance(account) + amountMinor);
    this.fundedMinor += amountMinor;
  }
  spendBeforeFirstRefundOf(orderId: string) {
    this.#spendBeforeRefund.add(orderId);
  }
  balance(account: string): bigint {
    return this.#balances.get(account) ?? 0n;
  }
  paymentsOf(orderId: string) {
    return this.#orderPayments.get(orderId) ?? { pay: 0, refund: 0 };
  }

  async submit(request: Parameters<PaymentsApi['submit']>[0]) {
    const known = this.#byKey.get(request.idempotencyKey);
    if (known) return { accepted: true as const, paymentId: known };
    const paymentId = uuidV7Ids.eventId();
    this.#byKey.set(request.idempotencyKey, paymentId);
    const { body } = request;
    const amountMinor = BigInt(Math.round(Number(body.amount) * 100));
    const counts = this.paymentsOf(request.correlationId);
    const refund = request.idempotencyKey.startsWith('order-refund-');
    if (refund && this.#spendBeforeRefund.delete(request.correlationId)) {
      this.spentMinor += this.balance(this.#merchantAccount);
      this.#balances.set(this.#merchantAccount, 0n);
    }
    this.#orderPayments.set(request.correlationId, { pay: counts.pay + (refund ? 0 : 1), refund: counts.refund + (refund ? 1 : 0) });
    const common = { paymentId, debtorAccount: body.debtor.account, amountMinor, currency: body.currency };
    let event: NewEvent;
    if (this.balance(body.debtor.account) >= amountMinor) {
      this.#balances.set(body.debtor.account, this.balance(body.debtor.account) - amountMinor);
      this.#balances.set(body.creditor.account, this.balance(body.creditor.account) + amountMinor);
      this.#outcomes.set(paymentId, { completed: true });
      event = {
        topic: PaymentTopics.completed,
        eventType: 'PaymentCompleted',
        key: body.debtor.account,
        payload: { ...common, uetr: paymentId, route: 'INTERNAL' },
      };
    } else {
      const failure = { reasonCode: 'INSUFFICIENT_FUNDS', reason: 'Insufficient funds' };
      this.#outcomes.set(paymentId, { completed: false, ...failure });
      event = { topic: PaymentTopics.failed, eventType: 'PaymentFailed', key: body.debtor.account, payload: { ...common, ...failure } };
    }
    await this.#publish([(await this.#encoder.encode(event, { correlationId: request.correlationId })).message]);
    return { accepted: true as const, paymentId };
  }

  async status(paymentId: string) {
    return this.#outcomes.get(paymentId);
  }
}
