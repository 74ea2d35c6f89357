import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Database } from '../../backbone/storage/database.ts';
import type { Clock, IdGenerator } from '../../backbone/clock/clock.ts';
import { problemOf, sendProblem, type RequireScope } from '../http/index.ts';
import { pageOf } from '../http/pagination.ts';
import { deleteSubscription, insertSubscription, listSubscriptions, parseNewSubscription, subscriptionExists } from './subscriptions.ts';
import { deliveryStatuses, listDeliveries, retryDeadLettered, type DeliveryStatus } from './deliveries.ts';

export interface WebhookRoutesOptions {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  requireScope: RequireScope;
  subscribableEventTypes: readonly string[];
  newSecret: () => string;
  pageDeliveriesMax: number;
}

/** Reading subscriptions and deliveries. */
export const webhooksReadScope = 'payments:read' as const;
/** Creating and deleting subscriptions, and retrying a dead-lettered delivery (the endpoint's owner fixed it). */
export const webhooksWriteScope = 'payments:write' as const;

/**
 * - `POST /v1/webhooks` `{ url, events? }` → 201 `{ id, url, events, createdAt, secret }`, the
 *   secret shown this once.
 * - `GET /v1/webhooks` → `{ webhooks: [...] }` (no secrets).
 * - `DELETE /v1/webhooks/{id}` → 204; pending deliveries are cancelled.
 * - `GET /v1/webhooks/{id}/deliveries?status=&limit=&after=` → `{ deliveries, nextAfter }`.
 * - `POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry` → 202, a dead-lettered delivery is
 *   pending again with a fresh set of attempts.
 */
export function webhookRoutes(options: WebhookRoutesOptions): (app: FastifyInstance) => Promise<void> {
  const { db, clock, ids, requireScope } = options;
  const read = { preValidation: requireScope(webhooksReadScope) };
  const write = { preValidation: requireScope(webhooksWriteScope) };
  const notFound = (id: string) => problemOf('not-found', `there is no webhook subscription ${id}`);
  return async (app) => {
    await app.register(async (scope) => {

      scope.post('/v1/webhooks', write, async (request, reply) => {
        const parsed = parseNewSubscription(request.body, options.subscribableEventTypes);
        if (!parsed.ok) return sendProblem(reply, problemOf(parsed.code, parsed.detail, parsed.pointer));
        const secret = options.newSecret();
        const created = await insertSubscription(db, ids.eventId(), parsed.value, secret, clock.nowMs());
        options.logger.info({ subscriptionId: created.id, events: created.events }, 'webhook subscription created');
        return reply.code(201).header('location', `/v1/webhooks/${created.id}`).send({ ...created, secret });
      });

      scope.get('/v1/webhooks', read, async () => ({ webhooks: await listSubscriptions(db) }));

      scope.delete<{ Params: { id: string } }>('/v1/webhooks/:id', write, async (request, reply) => {
        const deleted = await db.transaction((tx) => deleteSubscription(tx, request.params.id, clock.nowMs()));
        if (!deleted) return sendProblem(reply, notFound(request.params.id));
        options.logger.info({ subscriptionId: request.params.id }, 'webhook subscription deleted');
        return reply.code(204).send();
      });

      scope.get<{ Params: { id: string } }>('/v1/webhooks/:id/deliveries', read, async (request, reply) => {
        const query = parseDeliveriesQuery(request.query, options.pageDeliveriesMax);
        if ('problem' in query) return sendProblem(reply, problemOf('invalid-field', query.problem, query.parameter));
        if (!(await subscriptionExists(db, request.params.id))) return sendProblem(reply, notFound(request.params.id));
        const rows = await listDeliveries(db, { subscriptionId: request.params.id, ...query, limit: query.limit + 1 });
        const page = pageOf(rows, query.limit, (delivery) => delivery.id);
        return { deliveries: page.items, nextAfter: page.nextCursor };
      });

      scope.post<{ Params: { id: string; deliveryId: string } }>('/v1/webhooks/:id/deliveries/:deliveryId/retry', write, async (request, reply) => {
        const { id, deliveryId } = request.params;
        const result = await db.transaction(async (tx) => ((await subscriptionExists(tx, id)) ? retryDeadLettered(tx, id, deliveryId, clock.nowMs()) : 'no-subscription'));
        if (result === 'no-subscription') return sendProblem(reply, notFound(id));
        if (result === 'not-found') return sendProblem(reply, problemOf('not-found', `webhook ${id} has no delivery ${deliveryId}`));
        if (result === 'not-dead-lettered') return sendProblem(reply, problemOf('conflict', `delivery ${deliveryId} is not dead-lettered; only dead-lettered deliveries can be retried`));
        options.logger.info({ subscriptionId: id, deliveryId }, 'dead-lettered delivery retried by request');
        return reply.code(202).send(result);
      });
    });
  };
}

function parseDeliveriesQuery(raw: unknown, limitMax: number): { status?: DeliveryStatus; after?: string; limit: number } | { problem: string; parameter: string } {
  const query = (raw ?? {}) as Record<string, unknown>;
  const { status, after } = query;
  if (status !== undefined && !deliveryStatuses.includes(status as DeliveryStatus)) return { parameter: 'status', problem: `status must be one of ${deliveryStatuses.join(', ')}` };
  if (after !== undefined && (typeof after !== 'string' || after === '')) return { parameter: 'after', problem: 'after must be a delivery id (the nextAfter of the previous page)' };
  const limitText = query.limit ?? String(Math.min(100, limitMax));
  if (typeof limitText !== 'string' || !/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > limitMax) return { parameter: 'limit', problem: `limit must be an integer from 1 to ${limitMax}` };
  return { ...(status === undefined ? {} : { status: status as DeliveryStatus }), ...(after === undefined ? {} : { after: after as string }), limit: Number(limitText) };
}
