import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { AuditEntry } from './chain.ts';
import { auditEntryColumns, entryFromRow, pendingFromRow, type AuditRow, type PendingRecord, type PendingRow } from './audit-rows.ts';
import { pageOf } from '../http/pagination.ts';

/** One page request of a trail, validated (`parseAuditQuery`). */
export interface TrailQuery {
  column: 'correlation_id' | 'payment_id';
  value: string;
  /** The last sequence of the previous page; 0 for the first. */
  after: bigint;
  limit: number;
  /** Also return the flow's staged records that are not chained yet (on the last page). */
  includePending: boolean;
}

export interface TrailPage {
  entries: ReturnType<typeof entryToJson>[];
  nextAfter: string | null;
  /** Present when asked for: staged records, in arrival order; empty on any page but the last. */
  pending?: ReturnType<typeof pendingToJson>[];
}

/**
 * Reads one page of a trail. Chained entries and staged records are read in one statement, so in
 * one snapshot: a record the chainer moves meanwhile is seen once, either chained or staged,
 * never both and never neither. Staged records are scanned without an index (the queue is small
 * while the chainer keeps up, and indexes there would slow every consumer's insert).
 */
export async function readTrail(db: SqlRunner, query: TrailQuery): Promise<TrailPage> {
  // `column` comes from a closed pair, never from the caller's text.
  const result = await db.query<(AuditRow | (PendingRow & { sequence: null })) & { pending_id: bigint | null }>(
    `(select ${auditEntryColumns}, null::int8 as pending_id
        from audit_log where ${query.column} = $1 and sequence > $2 order by sequence limit $3)
     union all
     (select null::int8, event_id, topic, event_type, schema_version, event_key, correlation_id, causation_id,
        occurred_at, recorded_at, payment_id, payload_json, null::text, null::text, id
        from audit_pending where ${query.column} = $1 and $4::boolean order by id limit $5)`,
    [query.value, query.after, query.limit + 1, query.includePending, query.limit],
  );
  const chained = result.rows
    .filter((row): row is AuditRow & { pending_id: null } => row.pending_id === null)
    .sort((a, b) => (a.sequence < b.sequence ? -1 : 1));
  const chainedPage = pageOf(chained, query.limit, (row) => row.sequence.toString());
  const more = chainedPage.nextCursor !== null;
  const page: TrailPage = { entries: chainedPage.items.map((row) => entryToJson(entryFromRow(row))), nextAfter: chainedPage.nextCursor };
  if (!query.includePending) return page;
  const staged = result.rows
    .filter((row) => row.pending_id !== null)
    .map((row) => pendingFromRow({ ...row, id: row.pending_id! }))
    .sort((a, b) => (a.pendingId < b.pendingId ? -1 : 1));
  return { ...page, pending: more ? [] : staged.map(pendingToJson) };
}

function entryToJson(entry: AuditEntry) {
  return { sequence: entry.sequence.toString(), ...recordToJson(entry), prevHash: entry.prevHash, hash: entry.hash };
}

/** The same shape as a chained entry, so a reader can append them, with no place in the chain yet. */
function pendingToJson(record: PendingRecord) {
  return { sequence: null, ...recordToJson(record), prevHash: null, hash: null };
}

function recordToJson(record: Omit<AuditEntry, 'sequence' | 'prevHash' | 'hash'>) {
  return {
    eventId: record.eventId,
    topic: record.topic,
    eventType: record.eventType,
    schemaVersion: record.schemaVersion,
    key: record.key,
    correlationId: record.correlationId,
    causationId: record.causationId,
    occurredAt: record.occurredAt,
    recordedAt: record.recordedAt.toISOString(),
    paymentId: record.paymentId,
    payload: JSON.parse(record.payloadJson) as unknown,
  };
}
