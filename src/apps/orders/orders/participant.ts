// The orders participant: takes orders (`POST /v1/orders` → OrderPlaced), keeps each order's
// status and timeline from every event of the order, and decides the one thing it owns: that a
// failed order is cancelled once its compensations are done (OrderCancelled). It controls no one.
import type { FastifyInstance } from 'fastify';
import { isValidIBAN } from 'ibantools';
import type { ConsumedEvent, ConsumerOptions } from '../../../backbone/consumer/index.ts';
import { formatDecimal, maxAmountMinor, minorUnitsOf, parseAmountField } from '../../../contracts/index.ts';
import { problemResponses } from '../../../services/http/openapi.ts';
import { ProblemError, requestDigest, Scopes } from '../../../services/http/index.ts';
import {
  CancellationReasons,
  isOrderEventOf,
  orderEvent,
  OrderEventTypes,
  OrderTopics,
  type OrderLine,
  type OrderPlaced,
  type OrderTopic,
} from '../contracts.ts';
import { outboxPublisher, type OrdersAppDeps, type OrdersParticipant, type PublishEvents } from '../app.ts';
import type { Database } from '../../../backbone/storage/index.ts';
import { decideOrder, evolveOrder, type OrderFlowState } from './domain.ts';

/** The most lines one order may have. */
export const maxOrderLines = 100;
/** The most units of one line. */
export const maxLineQuantity = 10_000;

export const ordersMigrations = [
  {
    id: 1,
    name: 'orders and their timelines',
    sql: `
      create table orders (
        order_id text primary key,
        customer_account text not null,
        merchant_account text not null,
        currency text not null,
        amount_minor int8 not null,
        items jsonb not null,
        destination_country text not null,
        status text not null,
        payment text not null default 'pending',
        inventory text not null default 'pending',
        cancellation_reason text,
        placed_at timestamptz not null,
        updated_at timestamptz not null
      );
      create table order_timeline (
        event_id text primary key,
        order_id text not null,
        event_type text not null,
        correlation_id text not null,
        occurred_at timestamptz not null
      );
      create index order_timeline_order on order_timeline (order_id, occurred_at);
    `,
  },
  {
    id: 2,
    name: 'idempotency keys of placed orders',
    // Per API key, as the payment API's: a client repeating a request whose answer it lost places one order.
    sql: `
      create table order_idempotency_keys (
        api_key_id text not null,
        idempotency_key text not null,
        request_sha256 text not null,
        order_id text not null,
        primary key (api_key_id, idempotency_key)
      );
    `,
  },
  {
    id: 3,
    name: "operators' notes on the timeline",
    // Who did what and why, for an operator's action on the order (a refund retried); shown to ops keys only.
    sql: `alter table order_timeline add column note text`,
  },
];

interface OrderRow {
  order_id: string;
  customer_account: string;
  merchant_account: string;
  currency: string;
  amount_minor: bigint;
  items: { sku: string; quantity: number; unitPriceMinor: string }[];
  destination_country: string;
  status: OrderFlowState['status'];
  payment: OrderFlowState['payment'];
  inventory: OrderFlowState['inventory'];
  cancellation_reason: OrderFlowState['cancellationReason'];
  placed_at: Date;
  updated_at: Date;
}

export function ordersParticipant(deps: OrdersAppDeps, options: { retryDelaysMs?: readonly number[] }): OrdersParticipant {
  const consumer: ConsumerOptions = {
    name: 'orders',
    topics: Object.values(OrderTopics),
    retry: { mode: 'blocking', delaysMs: options.retryDelaysMs ?? [1_000, 5_000, 30_000] },
    handler: async (event, { tx, emit }) => {
      if (!isOrderEventOf(event, ...Object.values(OrderTopics))) return;
      const orderId = event.payload.orderId;
      await tx.query(
        `insert into order_timeline (event_id, order_id, event_type, correlation_id, occurred_at, note) values ($1, $2, $3, $4, $5, $6)
         on conflict (event_id) do nothing`,
        [
          event.envelope.eventId,
          orderId,
          OrderEventTypes[event.topic],
          event.envelope.correlationId,
          new Date(event.envelope.occurredAt),
          operatorNote(event),
        ],
      );
      const row = (await tx.query<OrderRow>(`select * from orders where order_id = $1 for update`, [orderId])).rows[0];
      if (!row) return; // an event of an order this database never took (another deployment's): nothing to keep
      const before: OrderFlowState = {
        status: row.status,
        payment: row.payment,
        inventory: row.inventory,
        cancellationReason: row.cancellation_reason,
      };
      let state = evolveOrder(before, event.topic as OrderTopic);
      const decision = decideOrder(state);
      if (decision) {
        state = { ...state, status: 'CANCELLED' };
        emit(
          orderEvent(OrderTopics.cancelled, {
            orderId,
            reasonCode: decision.cancel,
            amountMinor: row.amount_minor,
            currency: row.currency,
          }),
        );
      }
      await tx.query(
        `update orders set status = $2, payment = $3, inventory = $4, cancellation_reason = $5, updated_at = $6 where order_id = $1`,
        [orderId, state.status, state.payment, state.inventory, state.cancellationReason, new Date(deps.clock.nowMs())],
      );
    },
  };
  return { name: 'orders', migrations: ordersMigrations, consumers: [consumer], routes: orderRoutes(deps) };
}

interface PlaceOrderBody {
  customerAccount: string;
  merchantAccount: string;
  currency: string;
  items: { sku: string; quantity: number; unitPrice: string }[];
  destinationCountry: string;
}

const ibanField = { type: 'string', minLength: 15, maxLength: 34, description: 'An IBAN of an account at this bank' } as const;

const orderViewSchema = {
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    status: { type: 'string', enum: ['PLACED', 'SHIPPED', 'CANCELLED'] },
    cancellation: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' } },
      required: ['code'],
      description: 'Why the order was cancelled; null unless CANCELLED',
    },
    customerAccount: { type: 'string' },
    merchantAccount: { type: 'string' },
    currency: { type: 'string' },
    amount: { type: 'string', description: 'The sum of the lines, a decimal string' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: { sku: { type: 'string' }, quantity: { type: 'integer' }, unitPrice: { type: 'string' } },
        required: ['sku', 'quantity', 'unitPrice'],
      },
    },
    destinationCountry: { type: 'string' },
    placedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    timeline: {
      type: 'array',
      description: 'Every event of the order, oldest first, all with the order id as correlation id',
      items: {
        type: 'object',
        properties: {
          eventId: { type: 'string' },
          type: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          correlationId: { type: 'string' },
          note: {
            type: ['string', 'null'],
            description:
              "An operator's action (a refund retried): who and why, or why a refund failed; shown to keys with scope ops, null otherwise",
          },
        },
        required: ['eventId', 'type', 'at', 'correlationId', 'note'],
      },
    },
  },
  required: [
    'orderId',
    'status',
    'cancellation',
    'customerAccount',
    'merchantAccount',
    'currency',
    'amount',
    'items',
    'destinationCountry',
    'placedAt',
    'updatedAt',
    'timeline',
  ],
} as const;

/** `POST /v1/orders` (scope `orders:write`) and `GET /v1/orders/{orderId}` (scope `orders:read`). */
function orderRoutes(deps: OrdersAppDeps) {
  const publish = outboxPublisher(deps);
  return async (app: FastifyInstance) => {
    app.post<{ Body: PlaceOrderBody }>(
      '/v1/orders',
      {
        preValidation: deps.requireScope(Scopes.ordersWrite),
        schema: {
          operationId: 'placeOrder',
          tags: ['orders'],
          summary: 'Places an order: answered 202 at once; payment, stock, fraud check and shipment follow as events',
          headers: {
            type: 'object',
            properties: {
              'idempotency-key': {
                type: 'string',
                pattern: '^[\\x21-\\x7e]{1,255}$',
                description: 'Optional: 1 to 255 printable ASCII characters; a repeated request with the same key places one order',
              },
            },
          },
          body: {
            type: 'object',
            properties: {
              customerAccount: ibanField,
              merchantAccount: ibanField,
              currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' },
              items: {
                type: 'array',
                minItems: 1,
                maxItems: maxOrderLines,
                items: {
                  type: 'object',
                  properties: {
                    sku: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
                    quantity: { type: 'integer', minimum: 1, maximum: maxLineQuantity },
                    unitPrice: { type: 'string', maxLength: 40, description: 'A decimal string, e.g. "19.99"' },
                  },
                  required: ['sku', 'quantity', 'unitPrice'],
                  additionalProperties: false,
                },
              },
              destinationCountry: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, where the order ships' },
            },
            required: ['customerAccount', 'merchantAccount', 'currency', 'items', 'destinationCountry'],
            additionalProperties: false,
          },
          response: {
            202: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] },
            ...problemResponses(400, 401, 403, 413, 415, 422),
          },
        },
      },
      async (request, reply) => {
        const order = checkOrder(request.body, deps.ids.eventId(), new Date(deps.clock.nowMs()));
        const key = request.headers['idempotency-key'];
        const idempotency =
          typeof key === 'string' ? { apiKeyId: deps.callerOf(request), key, requestSha256: requestDigest(request.body) } : undefined;
        const placed = await placeOrder(deps.db, publish, order, idempotency);
        if ('reused' in placed) throw new ProblemError('idempotency-key-reused', 'this Idempotency-Key was used with a different order');
        if (placed.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(202).send({ orderId: placed.orderId });
      },
    );

    app.get<{ Params: { orderId: string } }>(
      '/v1/orders/:orderId',
      {
        preValidation: deps.requireScope(Scopes.ordersRead),
        schema: {
          operationId: 'getOrder',
          tags: ['orders'],
          summary: 'An order: its status (PLACED, SHIPPED or CANCELLED with the reason) and the timeline of its events',
          params: {
            type: 'object',
            properties: { orderId: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } },
            required: ['orderId'],
            additionalProperties: false,
          },
          response: { 200: orderViewSchema, ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { orderId } = request.params;
        const row = (await deps.db.query<OrderRow>(`select * from orders where order_id = $1`, [orderId])).rows[0];
        if (!row) throw new ProblemError('not-found', `no order ${orderId}`);
        const timeline = await deps.db.query<{
          event_id: string;
          event_type: string;
          occurred_at: Date;
          correlation_id: string;
          note: string | null;
        }>(
          `select event_id, event_type, occurred_at, correlation_id, note from order_timeline where order_id = $1 order by occurred_at, event_id`,
          [orderId],
        );
        // The merchant's systems read orders too: an operator's words are for operators.
        const operator = deps.callerHolds(request, Scopes.ops);
        return {
          orderId,
          status: row.status,
          cancellation: row.status === 'CANCELLED' ? { code: customerReason(row.cancellation_reason) } : null,
          customerAccount: row.customer_account,
          merchantAccount: row.merchant_account,
          currency: row.currency,
          amount: formatDecimal(row.amount_minor, row.currency),
          items: row.items.map((line) => ({
            sku: line.sku,
            quantity: line.quantity,
            unitPrice: formatDecimal(BigInt(line.unitPriceMinor), row.currency),
          })),
          destinationCountry: row.destination_country,
          placedAt: row.placed_at.toISOString(),
          updatedAt: row.updated_at.toISOString(),
          timeline: timeline.rows.map((entry) => ({
            eventId: entry.event_id,
            type: customerEventType(entry.event_type),
            at: entry.occurred_at.toISOString(),
            correlationId: entry.correlation_id,
            note: operator ? entry.note : null,
          })),
        };
      },
    );
  };
}

/** What the timeline keeps beside an event for operators: who retried a refund and why, or why a refund failed. */
function operatorNote(event: ConsumedEvent): string | null {
  if (isOrderEventOf(event, OrderTopics.paymentRefundRetried))
    return `refund attempt ${event.payload.attempt} sent by ${event.payload.operator}: ${event.payload.reason}`;
  if (isOrderEventOf(event, OrderTopics.paymentRefundFailed))
    return `refund attempt ${event.payload.attempt} failed: ${event.payload.reasonCode} (${event.payload.reason})`;
  return null;
}

/** A request's Idempotency-Key, per API key, with a digest of the request it was first sent with. */
export interface OrderIdempotency {
  apiKeyId: string;
  key: string;
  requestSha256: string;
}

export type PlaceOutcome = { orderId: string; replayed: boolean } | { reused: true };

/**
 * Stores a checked order and publishes its OrderPlaced, in one transaction; with an idempotency
 * key seen before, places nothing and answers the order placed then (or `reused` when the key came
 * with a different request).
 */
export async function placeOrder(
  db: Database,
  publish: PublishEvents,
  order: OrderPlaced,
  idempotency?: OrderIdempotency,
): Promise<PlaceOutcome> {
  return db.transaction(async (tx) => {
    if (idempotency) {
      const claimed = await tx.query(
        `insert into order_idempotency_keys (api_key_id, idempotency_key, request_sha256, order_id) values ($1, $2, $3, $4)
         on conflict do nothing returning order_id`,
        [idempotency.apiKeyId, idempotency.key, idempotency.requestSha256, order.orderId],
      );
      if (claimed.rows.length === 0) {
        const first = (
          await tx.query<{ request_sha256: string; order_id: string }>(
            `select request_sha256, order_id from order_idempotency_keys where api_key_id = $1 and idempotency_key = $2`,
            [idempotency.apiKeyId, idempotency.key],
          )
        ).rows[0]!;
        return first.request_sha256 === idempotency.requestSha256 ? { orderId: first.order_id, replayed: true } : { reused: true };
      }
    }
    await tx.query(
      `insert into orders (order_id, customer_account, merchant_account, currency, amount_minor, items, destination_country,
         status, placed_at, updated_at)
       values ($1, $2, $3, $4, $5, $6::jsonb, $7, 'PLACED', $8, $8)`,
      [
        order.orderId,
        order.customerAccount,
        order.merchantAccount,
        order.currency,
        order.amountMinor,
        JSON.stringify(order.items.map((line) => ({ ...line, unitPriceMinor: line.unitPriceMinor.toString() }))),
        order.destinationCountry,
        new Date(order.placedAt),
      ],
    );
    // The order's id is the correlation id of every event of its flow.
    await publish(tx, [orderEvent(OrderTopics.placed, order)], { correlationId: order.orderId });
    return { orderId: order.orderId, replayed: false };
  });
}

/**
 * The orders API is read by the merchant's systems, which answer the customer: which check fired
 * is not theirs to know (src/contracts/customer-view.ts), so a cancellation for fraud reads
 * ORDER_NOT_PROCESSED and both outcomes of the fraud check read OrderChecked on the timeline.
 */
function customerReason(reason: string | null): string {
  return reason === CancellationReasons.FRAUD_DETECTED ? 'ORDER_NOT_PROCESSED' : (reason ?? 'ORDER_NOT_PROCESSED');
}

function customerEventType(eventType: string): string {
  return eventType === 'FraudDetected' || eventType === 'FraudCleared' ? 'OrderChecked' : eventType;
}

/** The checks a JSON schema cannot make: IBANs, the currency, the amounts; the order with its total. */
export function checkOrder(body: PlaceOrderBody, orderId: string, now: Date): OrderPlaced {
  const customerAccount = body.customerAccount.replaceAll(' ', '').toUpperCase();
  const merchantAccount = body.merchantAccount.replaceAll(' ', '').toUpperCase();
  if (!isValidIBAN(customerAccount)) throw new ProblemError('invalid-iban', 'customerAccount must be a valid IBAN', '/customerAccount');
  if (!isValidIBAN(merchantAccount)) throw new ProblemError('invalid-iban', 'merchantAccount must be a valid IBAN', '/merchantAccount');
  if (customerAccount === merchantAccount)
    throw new ProblemError('invalid-account', 'the customer and the merchant must be different accounts', '/merchantAccount');
  if (minorUnitsOf(body.currency) === undefined)
    throw new ProblemError('unknown-currency', `${body.currency} is not an active ISO 4217 currency`, '/currency');
  let amountMinor = 0n;
  const items: OrderLine[] = body.items.map((item, index) => {
    const price = parseAmountField(item.unitPrice, body.currency, 'unitPrice', { positive: true });
    if (!price.ok) throw new ProblemError(price.code, price.detail, `/items/${index}/unitPrice`);
    amountMinor += price.amountMinor * BigInt(item.quantity);
    return { sku: item.sku, quantity: item.quantity, unitPriceMinor: price.amountMinor };
  });
  if (amountMinor > maxAmountMinor) throw new ProblemError('invalid-amount', 'the order total is too large', '/items');
  return {
    orderId,
    customerAccount,
    merchantAccount,
    currency: body.currency,
    amountMinor,
    items,
    destinationCountry: body.destinationCountry,
    placedAt: now.toISOString(),
  };
}
