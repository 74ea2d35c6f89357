import type { AuditEntry } from './chain.ts';

/** The columns of an `audit_log` row, as `entryFromRow` reads them. */
export const auditEntryColumns = `sequence, event_id, topic, event_type, schema_version, event_key, correlation_id, causation_id,
  occurred_at, recorded_at, payment_id, payload_json, prev_hash, hash`;

export interface AuditRow {
  sequence: bigint;
  event_id: string;
  topic: string;
  event_type: string;
  schema_version: number;
  event_key: string;
  correlation_id: string;
  causation_id: string | null;
  occurred_at: string;
  recorded_at: Date;
  payment_id: string | null;
  payload_json: string;
  prev_hash: string;
  hash: string;
}

export function entryFromRow(row: AuditRow): AuditEntry {
  return { sequence: row.sequence, ...recordFromRow(row), prevHash: row.prev_hash, hash: row.hash };
}

/** The columns a chained entry and a staged record share. */
function recordFromRow(row: Omit<AuditRow, 'sequence' | 'prev_hash' | 'hash'>): Omit<AuditEntry, 'sequence' | 'prevHash' | 'hash'> {
  return {
    eventId: row.event_id,
    topic: row.topic,
    eventType: row.event_type,
    schemaVersion: row.schema_version,
    key: row.event_key,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    occurredAt: row.occurred_at,
    recordedAt: row.recorded_at,
    paymentId: row.payment_id,
    payloadJson: row.payload_json,
  };
}

/** The columns of an `audit_pending` row, as `pendingFromRow` reads them. */
export const auditPendingColumns = `id, event_id, topic, event_type, schema_version, event_key, correlation_id, causation_id,
  occurred_at, recorded_at, payment_id, payload_json`;

export type PendingRow = Omit<AuditRow, 'sequence' | 'prev_hash' | 'hash'> & { id: bigint };

/** A staged record: everything an entry has but its place in the chain. */
export type PendingRecord = Omit<AuditEntry, 'sequence' | 'prevHash' | 'hash'> & { pendingId: bigint };

export function pendingFromRow(row: PendingRow): PendingRecord {
  return { pendingId: row.id, ...recordFromRow(row) };
}
