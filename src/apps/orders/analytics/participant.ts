// Analytics: every order event folded into per-minute figures (orders placed, shipped and
// cancelled, revenue per currency from shipped orders, cancellations by reason), by the minute the
// event happened, and `GET /v1/analytics/orders` to read them.
import type { FastifyInstance } from 'fastify';
import type { ConsumerOptions } from '../../../backbone/consumer/index.ts';
import { formatDecimal } from '../../../contracts/index.ts';
import { problemResponses } from '../../../services/http/openapi.ts';
import { ProblemError, Scopes } from '../../../services/http/index.ts';
import { isOrderEventOf, OrderTopics } from '../contracts.ts';
import type { OrdersAppDeps, OrdersParticipant } from '../app.ts';

/** The most minutes one request reads: a day. */
export const maxAnalyticsMinutes = 1_440;

export const analyticsMigrations = [
  {
    id: 1,
    name: 'order figures per minute',
    sql: `
      create table order_analytics_minutes (
        minute timestamptz primary key,
        placed int8 not null default 0,
        shipped int8 not null default 0,
        cancelled int8 not null default 0
      );
      create table order_analytics_revenue (
        minute timestamptz not null,
        currency text not null,
        revenue_minor int8 not null,
        primary key (minute, currency)
      );
      create table order_analytics_cancellations (
        minute timestamptz not null,
        reason text not null,
        orders int8 not null,
        primary key (minute, reason)
      );
    `,
  },
];

export function analyticsParticipant(deps: OrdersAppDeps, options: { retryDelaysMs?: readonly number[] }): OrdersParticipant {
  const consumer: ConsumerOptions = {
    name: 'orders-analytics',
    topics: Object.values(OrderTopics),
    retry: { mode: 'blocking', delaysMs: options.retryDelaysMs ?? [1_000, 5_000, 30_000] },
    handler: async (event, { tx }) => {
      const at = new Date(event.envelope.occurredAt);
      at.setUTCSeconds(0, 0);
      const count = async (column: 'placed' | 'shipped' | 'cancelled') =>
        tx.query(
          `insert into order_analytics_minutes (minute, ${column}) values ($1, 1)
           on conflict (minute) do update set ${column} = order_analytics_minutes.${column} + 1`,
          [at],
        );
      if (isOrderEventOf(event, OrderTopics.placed)) await count('placed');
      else if (isOrderEventOf(event, OrderTopics.shipmentCreated)) {
        await count('shipped');
        await tx.query(
          `insert into order_analytics_revenue (minute, currency, revenue_minor) values ($1, $2, $3)
           on conflict (minute, currency) do update set revenue_minor = order_analytics_revenue.revenue_minor + excluded.revenue_minor`,
          [at, event.payload.currency, event.payload.amountMinor],
        );
      } else if (isOrderEventOf(event, OrderTopics.cancelled)) {
        await count('cancelled');
        await tx.query(
          `insert into order_analytics_cancellations (minute, reason, orders) values ($1, $2, 1)
           on conflict (minute, reason) do update set orders = order_analytics_cancellations.orders + 1`,
          [at, event.payload.reasonCode],
        );
      }
      // Other events (payments, reservations, checks) are read and counted by no figure yet.
    },
  };
  return { name: 'orders-analytics', migrations: analyticsMigrations, consumers: [consumer], routes: analyticsRoutes(deps) };
}

const minuteSchema = {
  type: 'object',
  properties: {
    minute: { type: 'string', format: 'date-time' },
    ordersPlaced: { type: 'integer' },
    ordersShipped: { type: 'integer' },
    ordersCancelled: { type: 'integer' },
    revenue: {
      type: 'array',
      description: 'The amounts of the orders shipped in the minute, per currency',
      items: { type: 'object', properties: { currency: { type: 'string' }, amount: { type: 'string' } }, required: ['currency', 'amount'] },
    },
    cancellationsByReason: {
      type: 'array',
      items: { type: 'object', properties: { reason: { type: 'string' }, orders: { type: 'integer' } }, required: ['reason', 'orders'] },
    },
  },
  required: ['minute', 'ordersPlaced', 'ordersShipped', 'ordersCancelled', 'revenue', 'cancellationsByReason'],
} as const;

function analyticsRoutes(deps: OrdersAppDeps) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { from?: string; to?: string } }>(
      '/v1/analytics/orders',
      {
        preValidation: deps.requireScope(Scopes.ordersRead),
        schema: {
          operationId: 'getOrderAnalytics',
          tags: ['orders'],
          summary: 'Orders placed, shipped and cancelled, revenue and cancellations by reason, per minute',
          querystring: {
            type: 'object',
            properties: {
              from: { type: 'string', format: 'date-time', description: 'First minute (default: an hour before `to`)' },
              to: { type: 'string', format: 'date-time', description: 'End, exclusive (default: now)' },
            },
            additionalProperties: false,
          },
          response: {
            200: { type: 'object', properties: { minutes: { type: 'array', items: minuteSchema } }, required: ['minutes'] },
            ...problemResponses(400, 401, 403),
          },
        },
      },
      async (request) => {
        const toMs = request.query.to ? Date.parse(request.query.to) : deps.clock.nowMs() + 60_000;
        const fromMs = request.query.from ? Date.parse(request.query.from) : toMs - 60 * 60_000;
        if (!(fromMs < toMs)) throw new ProblemError('invalid-field', '`from` must be before `to`', '/from');
        if (toMs - fromMs > maxAnalyticsMinutes * 60_000)
          throw new ProblemError('invalid-field', `at most ${maxAnalyticsMinutes} minutes per request`, '/from');
        const [from, to] = [new Date(fromMs), new Date(toMs)];
        const minutes = await deps.db.query<{ minute: Date; placed: bigint; shipped: bigint; cancelled: bigint }>(
          `select minute, placed, shipped, cancelled from order_analytics_minutes where minute >= $1 and minute < $2 order by minute`,
          [from, to],
        );
        const revenue = await deps.db.query<{ minute: Date; currency: string; revenue_minor: bigint }>(
          `select minute, currency, revenue_minor from order_analytics_revenue where minute >= $1 and minute < $2 order by currency`,
          [from, to],
        );
        const reasons = await deps.db.query<{ minute: Date; reason: string; orders: bigint }>(
          `select minute, reason, orders from order_analytics_cancellations where minute >= $1 and minute < $2 order by reason`,
          [from, to],
        );
        const key = (minute: Date) => minute.toISOString();
        return {
          minutes: minutes.rows.map((row) => ({
            minute: key(row.minute),
            ordersPlaced: Number(row.placed),
            ordersShipped: Number(row.shipped),
            ordersCancelled: Number(row.cancelled),
            revenue: revenue.rows
              .filter((entry) => key(entry.minute) === key(row.minute))
              .map((entry) => ({ currency: entry.currency, amount: formatDecimal(entry.revenue_minor, entry.currency) })),
            cancellationsByReason: reasons.rows
              .filter((entry) => key(entry.minute) === key(row.minute))
              .map((entry) => ({ reason: entry.reason, orders: Number(entry.orders) })),
          })),
        };
      },
    );
  };
}
