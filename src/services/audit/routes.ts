import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { AuditEntry } from './chain.ts';
import { auditEntryColumns, entryFromRow, type AuditRow } from './audit-rows.ts';
import { problemOf, sendProblem, type Problem, type RequireScope } from '../http/index.ts';

export interface AuditRoutesOptions {
  db: SqlRunner;
  logger: Logger;
  requireScope: RequireScope;
  /** Largest `limit` a caller may ask for. Default 1000. */
  pageEntriesMax: number;
  /** `limit` when the caller gives none. Default 100. */
  pageEntriesDefault: number;
}

/** The audit trail is evidence about every customer's payments: operators only. */
export const auditReadScope = 'ops' as const;

/**
 * `GET /v1/audit?correlationId=…` or `?paymentId=…`: the trail of one flow or one payment in
 * sequence order, `limit` entries at a time; pass the response's `nextAfter` as `after` for the
 * next page (null on the last page).
 */
export function auditRoutes(options: AuditRoutesOptions): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    await app.register(async (scope) => {
      scope.get('/v1/audit', { preValidation: options.requireScope(auditReadScope) }, async (request, reply) => {
        const query = parseAuditQuery(request.query, options);
        if ('code' in query) return sendProblem(reply, query);
        const page = await readTrail(options.db, query);
        return reply.send(page);
      });
    });
  };
}

interface AuditQuery {
  column: 'correlation_id' | 'payment_id';
  value: string;
  after: bigint;
  limit: number;
}

/** Validates the query string; a problem names the parameter at fault. */
export function parseAuditQuery(raw: unknown, limits: Pick<AuditRoutesOptions, 'pageEntriesMax' | 'pageEntriesDefault'>): AuditQuery | Problem {
  const query = (raw ?? {}) as Record<string, unknown>;
  const invalid = (parameter: string, detail: string) => problemOf('invalid-field', detail, parameter);
  const correlationId = nonEmpty(query.correlationId);
  const paymentId = nonEmpty(query.paymentId);
  if ((correlationId === undefined) === (paymentId === undefined)) return invalid('correlationId', 'give exactly one of correlationId and paymentId');
  const limitText = query.limit ?? String(limits.pageEntriesDefault);
  if (typeof limitText !== 'string' || !/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > limits.pageEntriesMax) {
    return invalid('limit', `limit must be an integer from 1 to ${limits.pageEntriesMax}`);
  }
  const afterText = query.after ?? '0';
  if (typeof afterText !== 'string' || !/^\d{1,18}$/.test(afterText)) return invalid('after', 'after must be a sequence number (the nextAfter of the previous page)');
  const column = correlationId !== undefined ? 'correlation_id' : 'payment_id';
  return { column, value: (correlationId ?? paymentId)!, after: BigInt(afterText), limit: Number(limitText) };
}

async function readTrail(db: SqlRunner, query: AuditQuery): Promise<{ entries: ReturnType<typeof entryToJson>[]; nextAfter: string | null }> {
  // `column` comes from a closed pair above, never from the caller's text.
  const result = await db.query<AuditRow>(`select ${auditEntryColumns} from audit_log where ${query.column} = $1 and sequence > $2 order by sequence limit $3`, [
    query.value,
    query.after,
    query.limit + 1,
  ]);
  const rows = result.rows.slice(0, query.limit);
  const more = result.rows.length > query.limit;
  return { entries: rows.map((row) => entryToJson(entryFromRow(row))), nextAfter: more ? rows[rows.length - 1]!.sequence.toString() : null };
}

function entryToJson(entry: AuditEntry) {
  return {
    sequence: entry.sequence.toString(),
    eventId: entry.eventId,
    topic: entry.topic,
    eventType: entry.eventType,
    schemaVersion: entry.schemaVersion,
    key: entry.key,
    correlationId: entry.correlationId,
    causationId: entry.causationId,
    occurredAt: entry.occurredAt,
    recordedAt: entry.recordedAt.toISOString(),
    paymentId: entry.paymentId,
    payload: JSON.parse(entry.payloadJson) as unknown,
    prevHash: entry.prevHash,
    hash: entry.hash,
  };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
