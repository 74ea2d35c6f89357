import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SqlRunner } from '../../backbone/storage/database.ts';
import { readTrail, type TrailQuery } from './trail.ts';
import { problemOf, sendProblem, type Problem, type RequireScope } from '../http/index.ts';
import { handlerValidates, problemResponses } from '../http/openapi.ts';
import { afterPageQuery, nextAfterSchema } from '../http/pagination.ts';

export interface AuditRoutesOptions {
  db: SqlRunner;
  logger: Logger;
  requireScope: RequireScope;
  /** Largest `limit` a caller may ask for. Default 1000. */
  maxPageEntries: number;
  /** `limit` when the caller gives none. Default 100. */
  pageEntriesDefault: number;
}

/** The audit trail is evidence about every customer's payments: operators only. */
export const auditReadScope = 'ops' as const;

/**
 * `GET /v1/audit?correlationId=…` or `?paymentId=…`: the trail of one flow or one payment in
 * sequence order, `limit` entries at a time; pass the response's `nextAfter` as `after` for the
 * next page (null on the last page). `entries` are chained entries only, each with its sequence and
 * hash. With `includePending=true` the response also has `pending`: events the consumer has taken
 * but the chainer has not placed yet (no sequence, no hash), on the last page only, so a trail is
 * complete the moment its events are consumed; see `readTrail`.
 */
export function auditRoutes(options: AuditRoutesOptions): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    await app.register(async (scope) => {
      scope.get(
        '/v1/audit',
        { preValidation: options.requireScope(auditReadScope), schema: auditSchema(options), ...handlerValidates },
        async (request, reply) => {
          const query = parseAuditQuery(request.query, options);
          if ('code' in query) return sendProblem(reply, query);
          const page = await readTrail(options.db, query);
          return reply.send(page);
        },
      );
    });
  };
}

/** The query is checked by `parseAuditQuery` (`handlerValidates`); the schema documents it. */
function auditSchema(limits: Pick<AuditRoutesOptions, 'maxPageEntries' | 'pageEntriesDefault'>) {
  return {
    operationId: 'getAuditTrail',
    tags: ['audit'],
    summary: 'The audit trail of one flow (correlationId) or one payment (paymentId), in chain order',
    querystring: {
      type: 'object',
      properties: {
        correlationId: { type: 'string', minLength: 1, description: 'Exactly one of correlationId and paymentId' },
        paymentId: { type: 'string', minLength: 1, description: 'Exactly one of correlationId and paymentId' },
        ...afterPageQuery({ max: limits.maxPageEntries, default: limits.pageEntriesDefault }),
        after: {
          type: 'string',
          pattern: '^[0-9]{1,18}$',
          description: 'The `nextAfter` of the previous page (a sequence number); absent for the first page',
        },
        includePending: {
          type: 'string',
          enum: ['true', 'false'],
          default: 'false',
          description: 'Also return, on the last page, the events consumed but not chained yet',
        },
      },
    },
    response: { 200: trailPageSchema, ...problemResponses(400, 401, 403, 503) },
  };
}

const auditEntrySchema = {
  type: 'object',
  properties: {
    sequence: { type: ['string', 'null'], description: 'Place in the chain (a decimal string); null for a pending event' },
    eventId: { type: 'string' },
    topic: { type: 'string' },
    eventType: { type: 'string' },
    schemaVersion: { type: 'integer' },
    key: { type: 'string' },
    correlationId: { type: 'string' },
    causationId: { type: ['string', 'null'] },
    occurredAt: { type: 'string', description: 'As the event said it, verbatim' },
    recordedAt: { type: 'string', format: 'date-time' },
    paymentId: { type: ['string', 'null'] },
    payload: { description: 'The event as it was published' },
    prevHash: { type: ['string', 'null'] },
    hash: { type: ['string', 'null'] },
  },
} as const;

const trailPageSchema = {
  type: 'object',
  required: ['entries', 'nextAfter'],
  properties: {
    entries: { type: 'array', items: auditEntrySchema },
    nextAfter: nextAfterSchema,
    pending: { type: 'array', items: auditEntrySchema, description: 'With includePending=true: empty on every page but the last' },
  },
} as const;

/** Validates the query string; a problem names the parameter at fault. */
export function parseAuditQuery(
  raw: unknown,
  limits: Pick<AuditRoutesOptions, 'maxPageEntries' | 'pageEntriesDefault'>,
): TrailQuery | Problem {
  const query = (raw ?? {}) as Record<string, unknown>;
  const invalid = (parameter: string, detail: string) => problemOf('invalid-field', detail, parameter);
  const correlationId = nonEmpty(query.correlationId);
  const paymentId = nonEmpty(query.paymentId);
  if ((correlationId === undefined) === (paymentId === undefined))
    return invalid('correlationId', 'give exactly one of correlationId and paymentId');
  const limitText = query.limit ?? String(limits.pageEntriesDefault);
  if (typeof limitText !== 'string' || !/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > limits.maxPageEntries) {
    return invalid('limit', `limit must be an integer from 1 to ${limits.maxPageEntries}`);
  }
  const afterText = query.after ?? '0';
  if (typeof afterText !== 'string' || !/^\d{1,18}$/.test(afterText))
    return invalid('after', 'after must be a sequence number (the nextAfter of the previous page)');
  const includePending = query.includePending ?? 'false';
  if (includePending !== 'true' && includePending !== 'false') return invalid('includePending', 'includePending must be true or false');
  const column = correlationId !== undefined ? 'correlation_id' : 'payment_id';
  return {
    column,
    value: (correlationId ?? paymentId)!,
    after: BigInt(afterText),
    limit: Number(limitText),
    includePending: includePending === 'true',
  };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
