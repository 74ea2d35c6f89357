import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Database } from '../../backbone/storage/database.ts';
import type { Clock, IdGenerator } from '../../backbone/clock/clock.ts';
import { problemOf, sendProblem, type RequireScope } from '../http/index.ts';
import { handlerValidates, problemResponses } from '../http/openapi.ts';
import { afterPageQuery, nextAfterSchema, pageOf } from '../http/pagination.ts';
import {
  deleteSubscription,
  insertSubscription,
  listSubscriptions,
  parseNewSubscription,
  subscriptionExists,
  maxWebhookUrlLength,
} from './subscriptions.ts';
import { deliveryStatuses, listDeliveries, retryDeadLettered, type DeliveryStatus } from './deliveries.ts';

export interface WebhookRoutesOptions {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  requireScope: RequireScope;
  subscribableEventTypes: readonly string[];
  newSecret: () => string;
  maxPageDeliveries: number;
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
  const read = requireScope(webhooksReadScope);
  const write = requireScope(webhooksWriteScope);
  const schemas = webhookSchemas(options);
  const notFound = (id: string) => problemOf('not-found', `there is no webhook subscription ${id}`);
  return async (app) => {
    await app.register(async (scope) => {
      scope.post('/v1/webhooks', { preValidation: write, schema: schemas.create, ...handlerValidates }, async (request, reply) => {
        const parsed = parseNewSubscription(request.body, options.subscribableEventTypes);
        if (!parsed.ok) return sendProblem(reply, problemOf(parsed.code, parsed.detail, parsed.pointer));
        const secret = options.newSecret();
        const created = await insertSubscription(db, ids.eventId(), parsed.value, secret, clock.nowMs());
        options.logger.info({ subscriptionId: created.id, events: created.events }, 'webhook subscription created');
        return reply
          .code(201)
          .header('location', `/v1/webhooks/${created.id}`)
          .send({ ...created, secret });
      });

      scope.get('/v1/webhooks', { preValidation: read, schema: schemas.list }, async () => ({ webhooks: await listSubscriptions(db) }));

      scope.delete<{ Params: { id: string } }>(
        '/v1/webhooks/:id',
        { preValidation: write, schema: schemas.delete },
        async (request, reply) => {
          const deleted = await db.transaction((tx) => deleteSubscription(tx, request.params.id, clock.nowMs()));
          if (!deleted) return sendProblem(reply, notFound(request.params.id));
          options.logger.info({ subscriptionId: request.params.id }, 'webhook subscription deleted');
          return reply.code(204).send();
        },
      );

      scope.get<{ Params: { id: string } }>(
        '/v1/webhooks/:id/deliveries',
        { preValidation: read, schema: schemas.deliveries, ...handlerValidates },
        async (request, reply) => {
          const query = parseDeliveriesQuery(request.query, options.maxPageDeliveries);
          if ('problem' in query) return sendProblem(reply, problemOf('invalid-field', query.problem, query.parameter));
          if (!(await subscriptionExists(db, request.params.id))) return sendProblem(reply, notFound(request.params.id));
          const rows = await listDeliveries(db, { subscriptionId: request.params.id, ...query, limit: query.limit + 1 });
          const page = pageOf(rows, query.limit, (delivery) => delivery.id);
          return { deliveries: page.items, nextAfter: page.nextCursor };
        },
      );

      scope.post<{ Params: { id: string; deliveryId: string } }>(
        '/v1/webhooks/:id/deliveries/:deliveryId/retry',
        { preValidation: write, schema: schemas.retry },
        async (request, reply) => {
          const { id, deliveryId } = request.params;
          const result = await db.transaction(async (tx) =>
            (await subscriptionExists(tx, id)) ? retryDeadLettered(tx, id, deliveryId, clock.nowMs()) : 'no-subscription',
          );
          if (result === 'no-subscription') return sendProblem(reply, notFound(id));
          if (result === 'not-found') return sendProblem(reply, problemOf('not-found', `webhook ${id} has no delivery ${deliveryId}`));
          if (result === 'not-dead-lettered')
            return sendProblem(
              reply,
              problemOf('conflict', `delivery ${deliveryId} is not dead-lettered; only dead-lettered deliveries can be retried`),
            );
          options.logger.info({ subscriptionId: id, deliveryId }, 'dead-lettered delivery retried by request');
          return reply.code(202).send(result);
        },
      );
    });
  };
}

/** The routes' schemas; the creation's body and the deliveries' query are checked by their handlers (`handlerValidates`). */
function webhookSchemas(options: Pick<WebhookRoutesOptions, 'subscribableEventTypes' | 'maxPageDeliveries'>) {
  const tags = ['webhooks'];
  const subscriptionProperties = {
    id: { type: 'string' },
    url: { type: 'string', format: 'uri' },
    events: {
      type: ['array', 'null'],
      items: { type: 'string' },
      description: 'Event types delivered; null for every one, including types added later',
    },
    createdAt: { type: 'string', format: 'date-time' },
  } as const;
  const subscription = { type: 'object', properties: subscriptionProperties } as const;
  const delivery = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      channel: { type: 'string', enum: ['webhook', 'email', 'sms'] },
      eventId: { type: 'string' },
      eventType: { type: 'string' },
      status: { type: 'string', enum: [...deliveryStatuses] },
      attempts: { type: 'integer' },
      nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
      lastError: { type: ['string', 'null'] },
      lastStatusCode: { type: ['integer', 'null'] },
      createdAt: { type: 'string', format: 'date-time' },
      deliveredAt: { type: ['string', 'null'], format: 'date-time' },
      deadLetteredAt: { type: ['string', 'null'], format: 'date-time' },
    },
  } as const;
  const subscriptionId = { type: 'object', properties: { id: { type: 'string' } } } as const;
  return {
    create: {
      operationId: 'createWebhook',
      tags,
      summary: 'Subscribe an HTTPS endpoint to payment events; the signing secret is shown this once',
      body: {
        type: 'object',
        // No `additionalProperties: false`: an Ajv set to remove additional properties would strip
        // an unknown field before the handler could refuse it (unknown-field).
        description: 'A field other than url and events is refused (unknown-field)',
        required: ['url'],
        properties: {
          url: {
            type: 'string',
            format: 'uri',
            maxLength: maxWebhookUrlLength,
            description: 'http or https, without credentials or fragment',
          },
          events: {
            type: ['array', 'null'],
            minItems: 1,
            items: { type: 'string', enum: [...options.subscribableEventTypes] },
            description: 'Absent or null for every event type, including types added later',
          },
        },
      },
      response: {
        201: {
          type: 'object',
          properties: {
            ...subscriptionProperties,
            secret: { type: 'string', description: 'Verifies the Paystream-Signature of each delivery; not shown again' },
          },
        },
        ...problemResponses(400, 401, 403, 413, 415, 503),
      },
    },
    list: {
      operationId: 'listWebhooks',
      tags,
      summary: 'The webhook subscriptions (without their secrets)',
      response: {
        200: { type: 'object', required: ['webhooks'], properties: { webhooks: { type: 'array', items: subscription } } },
        ...problemResponses(401, 403, 503),
      },
    },
    delete: {
      operationId: 'deleteWebhook',
      tags,
      summary: 'Delete a subscription; its pending deliveries are cancelled',
      params: subscriptionId,
      response: { 204: { type: 'null', description: 'Deleted' }, ...problemResponses(401, 403, 404, 503) },
    },
    deliveries: {
      operationId: 'listWebhookDeliveries',
      tags,
      summary: "A subscription's deliveries, oldest first, a page at a time",
      params: subscriptionId,
      querystring: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: [...deliveryStatuses] },
          ...afterPageQuery({ max: options.maxPageDeliveries, default: Math.min(100, options.maxPageDeliveries) }),
        },
      },
      response: {
        200: {
          type: 'object',
          required: ['deliveries', 'nextAfter'],
          properties: { deliveries: { type: 'array', items: delivery }, nextAfter: nextAfterSchema },
        },
        ...problemResponses(400, 401, 403, 404, 503),
      },
    },
    retry: {
      operationId: 'retryWebhookDelivery',
      tags,
      summary: 'Make a dead-lettered delivery pending again, with a fresh set of attempts',
      params: { type: 'object', properties: { id: { type: 'string' }, deliveryId: { type: 'string' } } },
      response: { 202: delivery, ...problemResponses(401, 403, 404, 409, 503) },
    },
  };
}

function parseDeliveriesQuery(
  raw: unknown,
  maxLimit: number,
): { status?: DeliveryStatus; after?: string; limit: number } | { problem: string; parameter: string } {
  const query = (raw ?? {}) as Record<string, unknown>;
  const { status, after } = query;
  if (status !== undefined && !deliveryStatuses.includes(status as DeliveryStatus))
    return { parameter: 'status', problem: `status must be one of ${deliveryStatuses.join(', ')}` };
  if (after !== undefined && (typeof after !== 'string' || after === ''))
    return { parameter: 'after', problem: 'after must be a delivery id (the nextAfter of the previous page)' };
  const limitText = query.limit ?? String(Math.min(100, maxLimit));
  if (typeof limitText !== 'string' || !/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > maxLimit)
    return { parameter: 'limit', problem: `limit must be an integer from 1 to ${maxLimit}` };
  return {
    ...(status === undefined ? {} : { status: status as DeliveryStatus }),
    ...(after === undefined ? {} : { after: after as string }),
    limit: Number(limitText),
  };
}
