// What operators need when a refund fails (the merchant spent the money it was paid, or the refund
// was refused): to be told (a gauge an alert rule reads), to see the orders concerned (a list,
// the longest waiting first) and, once the cause is fixed, to send the refund again. Until then the
// order stays PLACED, its money at the merchant: the customer is owed it. See docs/orders.md.
import type { FastifyInstance } from 'fastify';
import { formatDecimal } from '../../../contracts/index.ts';
import { problemResponses } from '../../../services/http/openapi.ts';
import {
  cursorParameter,
  decodeCursor,
  encodeCursor,
  limitParameter,
  nextCursorSchema,
  pageOf,
  parseLimit,
} from '../../../services/http/pagination.ts';
import { operatorActionBody, operatorActionOf, ProblemError, Scopes, type OperatorActionBody } from '../../../services/http/index.ts';
import type { OrdersAppDeps } from '../app.ts';
import type { PaymentStage } from './domain.ts';

export type RefundRetryOutcome =
  { result: 'retried'; attempt: number } | { result: 'not-found' } | { result: 'not-refund-failed'; stage: PaymentStage };

/** Sends an order's failed refund again as its next attempt, recording who and why. */
export type RetryRefund = (orderId: string, retry: { operator: string; reason: string }) => Promise<RefundRetryOutcome>;

const listLimits = { max: 500, default: 50 };
const orderIdPattern = '^[A-Za-z0-9-]{1,64}$';
const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const refundFailureSchema = {
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    customerAccount: { type: 'string', description: 'Who is owed the refund' },
    merchantAccount: { type: 'string', description: 'Who must hold the amount for the refund to go through' },
    amount: { type: 'string', description: 'The amount to refund, a decimal string' },
    currency: { type: 'string' },
    refund: {
      type: 'object',
      properties: {
        attempt: { type: 'integer', description: 'The attempt that failed: 1 for the first refund, one more per retry' },
        paymentId: {
          type: ['string', 'null'],
          description: 'The failed refund payment (GET /v1/payments/{paymentId}); null when the payment API refused the request',
        },
        reasonCode: { type: ['string', 'null'], description: 'Why it failed, e.g. INSUFFICIENT_FUNDS' },
        failedAt: { type: 'string', format: 'date-time' },
      },
      required: ['attempt', 'paymentId', 'reasonCode', 'failedAt'],
    },
  },
  required: ['orderId', 'customerAccount', 'merchantAccount', 'amount', 'currency', 'refund'],
} as const;

/**
 * For operators (scope `ops`): `GET /v1/orders?attention=refund-failed`, the orders whose refund
 * failed, the longest waiting first (the list the PaystreamOrderRefundFailed alert points to), and
 * `POST /v1/orders/{orderId}/refund-retries`, which sends the refund again once the merchant holds
 * the amount, recorded on the order's timeline with who and why.
 */
export function refundRoutes(deps: OrdersAppDeps, retryRefund: RetryRefund) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { attention: 'refund-failed'; limit?: string; cursor?: string } }>(
      '/v1/orders',
      {
        preValidation: deps.requireScope(Scopes.ops),
        schema: {
          operationId: 'listOrdersNeedingAttention',
          tags: ['orders', 'operations'],
          summary: 'Orders that wait for an operator: `attention=refund-failed`, the refund failed; the longest waiting first',
          querystring: {
            type: 'object',
            properties: {
              attention: {
                type: 'string',
                enum: ['refund-failed'],
                description: 'What the orders wait for: refund-failed, a refund to retry (POST /v1/orders/{orderId}/refund-retries)',
              },
              limit: limitParameter(listLimits),
              cursor: cursorParameter,
            },
            required: ['attention'],
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: { orders: { type: 'array', items: refundFailureSchema }, nextCursor: nextCursorSchema },
              required: ['orders', 'nextCursor'],
            },
            ...problemResponses(400, 401, 403),
          },
        },
      },
      async (request) => {
        const limit = parseLimit(request.query.limit, listLimits);
        const cursor = request.query.cursor;
        const after = cursor === undefined ? undefined : decodeCursor(cursor, 2, /^[A-Za-z0-9:.-]{1,64}$/);
        if (after && !isoInstant.test(after[0]!))
          throw new ProblemError('invalid-field', 'cursor is not a cursor this list gave out', 'cursor');
        const rows = await deps.db.query<RefundFailureRow>(
          `select order_id, customer_account, merchant_account, amount_minor, currency, refund_attempt, refund_payment_id, reason_code, updated_at
           from order_payments
           where stage = 'refund-failed' and ($1::timestamptz is null or (updated_at, order_id) > ($1::timestamptz, $2::text))
           order by updated_at, order_id limit $3`,
          [after ? new Date(after[0]!) : null, after?.[1] ?? '', limit + 1],
        );
        const page = pageOf(rows.rows, limit, (row) => encodeCursor([row.updated_at.toISOString(), row.order_id]));
        return { orders: page.items.map(refundFailureView), nextCursor: page.nextCursor };
      },
    );

    app.post<{ Params: { orderId: string }; Body: OperatorActionBody }>(
      '/v1/orders/:orderId/refund-retries',
      {
        preValidation: deps.requireScope(Scopes.ops),
        schema: {
          operationId: 'retryOrderRefund',
          tags: ['orders', 'operations'],
          summary: "Send an order's failed refund again, once the merchant holds the amount; the order is cancelled when it completes",
          params: {
            type: 'object',
            properties: { orderId: { type: 'string', pattern: orderIdPattern } },
            required: ['orderId'],
            additionalProperties: false,
          },
          body: operatorActionBody,
          response: {
            202: {
              type: 'object',
              properties: {
                orderId: { type: 'string' },
                attempt: { type: 'integer', description: 'The refund attempt now under way' },
              },
              required: ['orderId', 'attempt'],
            },
            ...problemResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const { orderId } = request.params;
        const outcome = await retryRefund(orderId, operatorActionOf(request.body, deps.callerOf(request)));
        if (outcome.result === 'not-found') throw new ProblemError('not-found', `no payment of order ${orderId}`);
        if (outcome.result === 'not-refund-failed')
          throw new ProblemError(
            'conflict',
            `the refund of order ${orderId} has not failed (its payment is ${outcome.stage}): only a failed refund is retried`,
          );
        return reply.code(202).send({ orderId, attempt: outcome.attempt });
      },
    );
  };
}

interface RefundFailureRow {
  order_id: string;
  customer_account: string | null;
  merchant_account: string | null;
  amount_minor: bigint | null;
  currency: string | null;
  refund_attempt: number;
  refund_payment_id: string | null;
  reason_code: string | null;
  updated_at: Date;
}

function refundFailureView(row: RefundFailureRow) {
  return {
    orderId: row.order_id,
    customerAccount: row.customer_account ?? '',
    merchantAccount: row.merchant_account ?? '',
    amount: formatDecimal(row.amount_minor ?? 0n, row.currency ?? ''),
    currency: row.currency ?? '',
    refund: {
      attempt: row.refund_attempt,
      paymentId: row.refund_payment_id,
      reasonCode: row.reason_code,
      failedAt: row.updated_at.toISOString(),
    },
  };
}
