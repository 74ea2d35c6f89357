// The payment participant: pays each placed order through paystream's own payment flow (an
// internal transfer customer → merchant, screened and ledgered like any payment), announces the
// outcome, and refunds a paid order that failed elsewhere (a second payment merchant → customer).
//
// Calling the payment API is an effect outside the database, so it follows "record the intent,
// then call, recover by polling": the consumer records `requested` in its transaction and calls
// after the commit with the order's idempotency key; the answer is recorded in a transaction of its
// own; a loop re-sends what was requested but never answered (the same key: paid once) and asks the
// API for the outcome of what has waited too long. The outcome itself normally arrives as a payment
// event on the bus, matched by the payment id the API answered.
import type { ConsumedEvent, ConsumerOptions } from '../../../backbone/consumer/index.ts';
import type { SqlRunner } from '../../../backbone/storage/index.ts';
import type { NewEvent } from '../../../backbone/envelope/index.ts';
import { formatDecimal, isEventOf, PaymentTopics } from '../../../contracts/index.ts';
import { customerOutcome } from '../../../contracts/customer-view.ts';
import { isOrderEventOf, orderEvent, OrderTopics } from '../contracts.ts';
import { outboxPublisher, type OrdersAppDeps, type OrdersParticipant, type PublishEvents } from '../app.ts';
import {
  decidePayment,
  refundIdempotencyKey,
  type OrderPaymentState,
  type PaymentFact,
  type PaymentInput,
  type PaymentStage,
} from './domain.ts';
import { refundRoutes, type RefundRetryOutcome } from './refund-routes.ts';
import { refundFailureMetrics } from './refund-metrics.ts';

export interface PaymentParticipantOptions {
  /** This bank's BIC: the creditor agent of an internal transfer. */
  bankBic: string;
  retryDelaysMs?: readonly number[];
  /** How often the recovery loop looks for calls not answered and outcomes not heard. Default 1 s. */
  recoveryIntervalMs?: number;
  /** A call or a pending payment is looked at again after this long. Default 5 s. */
  recheckAfterMs?: number;
}

export const paymentMigrations = [
  {
    id: 1,
    name: 'the payment of each order and its refund',
    sql: `
      create table order_payments (
        order_id text primary key,
        customer_account text,
        merchant_account text,
        amount_minor int8,
        currency text,
        stage text not null,
        payment_id text,
        refund_payment_id text,
        cancel_requested boolean not null default false,
        reason_code text,
        updated_at timestamptz not null
      );
      create index order_payments_payment on order_payments (payment_id) where payment_id is not null;
      create index order_payments_refund on order_payments (refund_payment_id) where refund_payment_id is not null;
      create index order_payments_open on order_payments (updated_at) where stage in ('requested', 'pending', 'refund-requested', 'refund-pending');
    `,
  },
  {
    id: 2,
    name: "the order flow's key for the payment API",
    // Kept so that every process, and every restart, calls the payment API as the same key: the
    // API's idempotency keys are per API key, and a re-sent payment must find its first attempt.
    // Whoever can read this table can already write api_keys; the key holds payments:write and
    // payments:read only, and is never logged.
    sql: `create table order_payment_credentials (id int4 primary key check (id = 1), api_key text not null, key_id text not null)`,
  },
  {
    id: 3,
    name: 'refund attempts, and the refunds that wait for an operator',
    // Each refund attempt is a payment of its own with its own idempotency key (refundIdempotencyKey):
    // a refund that failed is sent again by an operator as the next attempt. A refund already under
    // way when this migration runs is the first.
    sql: `
      alter table order_payments add column refund_attempt int4 not null default 0;
      update order_payments set refund_attempt = 1 where stage like 'refund-%';
      create index order_payments_refund_failed on order_payments (updated_at, order_id) where stage = 'refund-failed';
    `,
  },
];

interface PaymentRow {
  order_id: string;
  customer_account: string | null;
  merchant_account: string | null;
  amount_minor: bigint | null;
  currency: string | null;
  stage: PaymentStage;
  payment_id: string | null;
  refund_payment_id: string | null;
  cancel_requested: boolean;
  refund_attempt: number;
  reason_code: string | null;
  updated_at: Date;
}

const orderFailures = [OrderTopics.inventoryReservationFailed, OrderTopics.shipmentFailed, OrderTopics.fraudDetected] as const;
const paymentOutcomes = [PaymentTopics.completed, PaymentTopics.failed, PaymentTopics.rejected, PaymentTopics.blocked] as const;

export function paymentParticipant(deps: OrdersAppDeps, options: PaymentParticipantOptions): OrdersParticipant {
  const publish = outboxPublisher(deps);
  const calls = new PaymentCalls(deps, publish, options);
  const recoveryIntervalMs = options.recoveryIntervalMs ?? 1_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const consumer: ConsumerOptions = {
    name: 'orders-payment',
    topics: [OrderTopics.placed, ...orderFailures, ...paymentOutcomes],
    retry: { mode: 'blocking', delaysMs: options.retryDelaysMs ?? [1_000, 5_000, 30_000] },
    handler: async (event, { tx, afterCommit }) => {
      const applied = await applyEvent(tx, event, publish, deps.clock.nowMs());
      if (applied?.call) afterCommit(() => calls.perform(applied.orderId, applied.call!));
    },
  };
  refundFailureMetrics(deps);
  /** An operator sends a failed refund again: the next attempt is recorded, and sent after the commit. */
  const retryRefund = async (orderId: string, retry: { operator: string; reason: string }): Promise<RefundRetryOutcome> => {
    const outcome = await deps.db.transaction(async (tx): Promise<RefundRetryOutcome> => {
      const found = await tx.query<{ stage: PaymentStage; refund_attempt: number }>(
        `select stage, refund_attempt from order_payments where order_id = $1 for update`,
        [orderId],
      );
      const row = found.rows[0];
      if (!row) return { result: 'not-found' };
      if (row.stage !== 'refund-failed') return { result: 'not-refund-failed', stage: row.stage };
      await apply(tx, orderId, { kind: 'refund-retry', ...retry }, publish, { correlationId: orderId }, deps.clock.nowMs());
      return { result: 'retried', attempt: row.refund_attempt + 1 };
    });
    // The refund is sent before the operator is answered (its outcome comes later, as any payment's);
    // a crash or an API that is down before the call leaves it to the recovery loop (the stage is refund-requested).
    if (outcome.result === 'retried') await calls.perform(orderId, 'refund');
    return outcome;
  };
  return {
    name: 'orders-payment',
    migrations: paymentMigrations,
    consumers: [consumer],
    routes: refundRoutes(deps, retryRefund),
    workers: [
      {
        name: 'orders-payment-recovery',
        async start() {
          const tick = () => {
            running = calls
              .recover(options.recheckAfterMs ?? 5_000)
              .catch((error: unknown) => deps.logger.warn({ err: error }, 'order payments: recovery round failed; next round retries'))
              .finally(() => (timer = setTimeout(tick, recoveryIntervalMs)));
          };
          timer = setTimeout(tick, recoveryIntervalMs);
        },
        async stop() {
          clearTimeout(timer);
          await running;
          clearTimeout(timer);
        },
      },
    ],
  };
}

/** Applies one consumed event; returns the call to make after the commit, if any. */
async function applyEvent(
  tx: SqlRunner,
  event: ConsumedEvent,
  publish: PublishEvents,
  nowMs: number,
): Promise<{ orderId: string; call: 'pay' | 'refund' | null } | undefined> {
  const cause = { correlationId: event.envelope.correlationId, eventId: event.envelope.eventId, traceparent: event.envelope.traceparent };
  if (isOrderEventOf(event, OrderTopics.placed)) {
    const order = event.payload;
    await tx.query(
      `insert into order_payments (order_id, customer_account, merchant_account, amount_minor, currency, stage, updated_at)
       values ($1, $2, $3, $4, $5, 'none', $6)
       on conflict (order_id) do update set customer_account = excluded.customer_account, merchant_account = excluded.merchant_account,
         amount_minor = excluded.amount_minor, currency = excluded.currency where order_payments.customer_account is null`,
      [order.orderId, order.customerAccount, order.merchantAccount, order.amountMinor, order.currency, new Date(nowMs)],
    );
    return apply(tx, order.orderId, { kind: 'order-placed' }, publish, { ...cause, correlationId: order.orderId }, nowMs);
  }
  if (isOrderEventOf(event, ...orderFailures)) {
    const orderId = event.payload.orderId;
    await tx.query(`insert into order_payments (order_id, stage, updated_at) values ($1, 'none', $2) on conflict (order_id) do nothing`, [
      orderId,
      new Date(nowMs),
    ]);
    return apply(tx, orderId, { kind: 'order-failed' }, publish, { ...cause, correlationId: orderId }, nowMs);
  }
  if (isEventOf(event, ...paymentOutcomes)) {
    const paymentId = event.payload.paymentId;
    const found = await tx.query<{ order_id: string; refund: boolean }>(
      `select order_id, refund_payment_id = $1 as refund from order_payments where payment_id = $1 or refund_payment_id = $1`,
      [paymentId],
    );
    const row = found.rows[0];
    if (!row) return undefined; // a payment of someone else, or one whose answer is not recorded yet (recovery asks the API)
    const outcome = isEventOf(event, PaymentTopics.completed)
      ? ({ completed: true } as const)
      : outcomeOf(
          isEventOf(event, PaymentTopics.blocked)
            ? { status: 'BLOCKED', reasonCode: null, reason: null }
            : {
                status: isEventOf(event, PaymentTopics.failed) ? 'FAILED' : 'REJECTED',
                reasonCode: event.payload.reasonCode,
                reason: event.payload.reason,
              },
        );
    const input: PaymentInput = row.refund
      ? { kind: 'refund-outcome', paymentId, outcome }
      : { kind: 'payment-outcome', paymentId, outcome };
    return apply(tx, row.order_id, input, publish, { ...cause, correlationId: row.order_id }, nowMs);
  }
  return undefined;
}

/** A failed payment as the customer may be told of it: never a compliance finding. */
function outcomeOf(internal: { status: string; reasonCode: string | null; reason: string | null }) {
  const reason = customerOutcome(internal).reason ?? { code: 'PAYMENT_NOT_PROCESSED', text: 'The payment could not be processed.' };
  return { completed: false as const, reasonCode: reason.code, reason: reason.text };
}

/** Locks the order's payment, decides, writes the new state and publishes the facts, in `tx`. */
async function apply(
  tx: SqlRunner,
  orderId: string,
  input: PaymentInput,
  publish: PublishEvents,
  cause: { correlationId: string; eventId?: string; traceparent?: string },
  nowMs: number,
): Promise<{ orderId: string; call: 'pay' | 'refund' | null }> {
  const result = await tx.query<PaymentRow>(`select * from order_payments where order_id = $1 for update`, [orderId]);
  const row = result.rows[0];
  if (!row) throw new Error(`no payment row for order ${orderId}`);
  const state: OrderPaymentState = {
    stage: row.stage,
    paymentId: row.payment_id,
    refundPaymentId: row.refund_payment_id,
    cancelRequested: row.cancel_requested,
    refundAttempt: row.refund_attempt,
  };
  const decision = decidePayment(state, input);
  if (decision.state === state) return { orderId, call: null };
  const failure = decision.facts.find((fact) => fact.type === 'failed' || fact.type === 'refund-failed');
  await tx.query(
    `update order_payments set stage = $2, payment_id = $3, refund_payment_id = $4, cancel_requested = $5,
       reason_code = coalesce($6, reason_code), updated_at = $7, refund_attempt = $8 where order_id = $1`,
    [
      orderId,
      decision.state.stage,
      decision.state.paymentId,
      decision.state.refundPaymentId,
      decision.state.cancelRequested,
      failure ? failure.reasonCode : null,
      new Date(nowMs),
      decision.state.refundAttempt,
    ],
  );
  const events = decision.facts.flatMap((fact) => eventsOf(fact, orderId, row));
  await publish(tx, events, cause);
  return { orderId, call: decision.call };
}

function eventsOf(fact: PaymentFact, orderId: string, row: PaymentRow): NewEvent[] {
  const amountMinor = row.amount_minor ?? 0n;
  const currency = row.currency ?? '';
  switch (fact.type) {
    case 'completed':
      return [
        orderEvent(OrderTopics.paymentCompleted, {
          orderId,
          paymentId: fact.paymentId,
          customerAccount: row.customer_account ?? '',
          amountMinor,
          currency,
        }),
      ];
    case 'failed':
      return [
        orderEvent(OrderTopics.paymentFailed, { orderId, paymentId: fact.paymentId, reasonCode: fact.reasonCode, reason: fact.reason }),
      ];
    case 'refunded':
      return [orderEvent(OrderTopics.paymentRefunded, { orderId, refundPaymentId: fact.refundPaymentId, amountMinor, currency })];
    case 'refund-failed':
      // The order stays PLACED with its money at the merchant until an operator retries the refund.
      return [
        orderEvent(OrderTopics.paymentRefundFailed, {
          orderId,
          refundPaymentId: fact.refundPaymentId,
          attempt: fact.attempt,
          reasonCode: fact.reasonCode,
          reason: fact.reason,
        }),
      ];
    case 'refund-retried':
      return [
        orderEvent(OrderTopics.paymentRefundRetried, { orderId, attempt: fact.attempt, operator: fact.operator, reason: fact.reason }),
      ];
  }
}

/** The calls to the payment API and their recovery. */
class PaymentCalls {
  readonly #deps: OrdersAppDeps;
  readonly #publish: PublishEvents;
  readonly #options: PaymentParticipantOptions;

  constructor(deps: OrdersAppDeps, publish: PublishEvents, options: PaymentParticipantOptions) {
    this.#deps = deps;
    this.#publish = publish;
    this.#options = options;
  }

  /** Makes the call the state asks for; a failure to reach the API is left to the recovery loop. */
  async perform(orderId: string, call: 'pay' | 'refund'): Promise<void> {
    try {
      const row = (await this.#deps.db.query<PaymentRow>(`select * from order_payments where order_id = $1`, [orderId])).rows[0];
      if (!row || row.stage !== (call === 'pay' ? 'requested' : 'refund-requested')) return;
      const answer = await this.#deps.paymentsApi.submit(this.#request(row, call));
      const input: PaymentInput = answer.accepted
        ? { kind: call === 'pay' ? 'payment-accepted' : 'refund-accepted', paymentId: answer.paymentId }
        : { kind: call === 'pay' ? 'payment-refused' : 'refund-refused', reasonCode: answer.reasonCode, reason: answer.reason };
      const next = await this.#apply(orderId, input);
      if (next) await this.perform(orderId, next);
      // The outcome may already be known (an internal transfer completes in milliseconds, maybe
      // before the answer above was recorded, when its event found no payment id to match).
      if (answer.accepted) await this.check(orderId);
    } catch (error) {
      this.#deps.logger.warn({ err: error, orderId, call }, 'order payments: the payment API call failed; the recovery loop retries');
    }
  }

  /** Asks the API for the outcome of the order's pending payment or refund. */
  async check(orderId: string): Promise<void> {
    const row = (await this.#deps.db.query<PaymentRow>(`select * from order_payments where order_id = $1`, [orderId])).rows[0];
    if (!row) return;
    const refund = row.stage === 'refund-pending';
    const paymentId = refund ? row.refund_payment_id : row.stage === 'pending' ? row.payment_id : null;
    if (!paymentId) return;
    const outcome = await this.#deps.paymentsApi.status(paymentId);
    if (!outcome) return;
    const next = await this.#apply(orderId, { kind: refund ? 'refund-outcome' : 'payment-outcome', paymentId, outcome });
    if (next) await this.perform(orderId, next);
  }

  /** One round: re-sends unanswered calls and checks outcomes that have waited `recheckAfterMs`. */
  async recover(recheckAfterMs: number): Promise<void> {
    const nowMs = this.#deps.clock.nowMs();
    // Claim the rows by moving their clock forward, so the next round (or another process) leaves them for a while.
    const due = await this.#deps.db.query<{ order_id: string; stage: PaymentStage }>(
      `update order_payments set updated_at = $2 where order_id in (
         select order_id from order_payments
         where stage in ('requested', 'pending', 'refund-requested', 'refund-pending') and updated_at < $1
         order by updated_at limit 100)
       returning order_id, stage`,
      [new Date(nowMs - recheckAfterMs), new Date(nowMs)],
    );
    for (const { order_id: orderId, stage } of due.rows) {
      if (stage === 'requested') await this.perform(orderId, 'pay');
      else if (stage === 'refund-requested') await this.perform(orderId, 'refund');
      else
        await this.check(orderId).catch((error: unknown) =>
          this.#deps.logger.warn({ err: error, orderId }, 'order payments: status check failed'),
        );
    }
  }

  async #apply(orderId: string, input: PaymentInput): Promise<'pay' | 'refund' | null> {
    const result = await this.#deps.db.transaction((tx) =>
      apply(tx, orderId, input, this.#publish, { correlationId: orderId }, this.#deps.clock.nowMs()),
    );
    return result.call;
  }

  #request(row: PaymentRow, call: 'pay' | 'refund') {
    const amount = formatDecimal(row.amount_minor ?? 0n, row.currency ?? '');
    const customer = { name: 'Order customer', account: row.customer_account ?? '' };
    const merchant = { name: 'Order merchant', account: row.merchant_account ?? '' };
    const [debtor, creditor] = call === 'pay' ? [customer, merchant] : [merchant, customer];
    const compactId = row.order_id.replaceAll('-', '');
    return {
      // The same key on every re-send: paystream accepts the order's payment (and each refund attempt) once.
      idempotencyKey: call === 'pay' ? `order-pay-${row.order_id}` : refundIdempotencyKey(row.order_id, row.refund_attempt),
      correlationId: row.order_id,
      body: {
        amount,
        currency: row.currency ?? '',
        debtor,
        creditor: { ...creditor, agent: this.#options.bankBic, country: creditor.account.slice(0, 2) },
        remittanceInformation: `${call === 'pay' ? 'Order' : 'Refund of order'} ${row.order_id}`,
        endToEndId: `${call === 'pay' ? 'ORD' : 'RFD'}${compactId}`.slice(0, 35),
      },
    };
  }
}
