import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { ConsumedEvent } from '../../backbone/consumer/handler.ts';
import { entryHash, paymentIdOf, type AuditEntry } from './chain.ts';
import { canonicalJson } from './safe-json.ts';

/** What is audited of one event, before it has a place in the chain. */
export type AuditRecord = Omit<AuditEntry, 'sequence' | 'recordedAt' | 'prevHash' | 'hash'>;

/**
 * The audit record of a consumed event: its envelope, the topic it was read from, its payload as
 * canonical JSON. Pure; throws a TypeError for a payload that cannot be JSON (a programmer error
 * in a codec), which the consumer treats as permanent.
 */
export function auditRecordOf(event: ConsumedEvent): AuditRecord {
  const { envelope } = event;
  return {
    eventId: envelope.eventId,
    topic: event.topic,
    eventType: envelope.eventType,
    schemaVersion: envelope.schemaVersion,
    key: envelope.key,
    correlationId: envelope.correlationId,
    causationId: envelope.causationId,
    occurredAt: envelope.occurredAt,
    paymentId: paymentIdOf(event.payload),
    payloadJson: canonicalJson(event.payload),
  };
}

/**
 * Appends one event to the audit chain inside `tx`, or does nothing if its eventId is already
 * there (a redelivery, a replay); returns the new entry, or undefined for a duplicate.
 *
 * Concurrency: the chain head row is locked `for update` first, so concurrent appends (several
 * partitions, several processes) wait for each other and each sees the head its predecessor
 * committed; the lock is held until `tx` ends. The duplicate check runs after the lock, so two
 * transactions carrying the same event cannot both append it.
 */
export async function appendAuditEntry(tx: SqlRunner, record: AuditRecord, recordedAtMs: number): Promise<AuditEntry | undefined> {
  const head = await lockHead(tx);
  const existing = await tx.query(`select 1 from audit_log where event_id = $1`, [record.eventId]);
  if (existing.rows.length > 0) return undefined;
  const unhashed: Omit<AuditEntry, 'hash'> = { ...record, sequence: head.lastSequence + 1n, recordedAt: new Date(recordedAtMs), prevHash: head.lastHash };
  const entry: AuditEntry = { ...unhashed, hash: entryHash(unhashed) };
  await insertEntry(tx, entry);
  await tx.query(`update audit_chain_head set last_sequence = $1, last_hash = $2 where id = 1`, [entry.sequence, entry.hash]);
  return entry;
}

async function lockHead(tx: SqlRunner): Promise<{ lastSequence: bigint; lastHash: string }> {
  const result = await tx.query<{ last_sequence: bigint; last_hash: string }>(`select last_sequence, last_hash from audit_chain_head where id = 1 for update`);
  const row = result.rows[0];
  // The migration inserts the row and a trigger refuses its deletion: its absence is a broken install.
  if (!row) throw new Error('audit_chain_head has no row: the audit migrations did not run');
  return { lastSequence: row.last_sequence, lastHash: row.last_hash };
}

async function insertEntry(tx: SqlRunner, entry: AuditEntry): Promise<void> {
  await tx.query(
    `insert into audit_log (sequence, event_id, topic, event_type, schema_version, event_key, correlation_id, causation_id,
       occurred_at, recorded_at, payment_id, payload_json, prev_hash, hash)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz, $11, $12, $13, $14)`,
    [
      entry.sequence,
      entry.eventId,
      entry.topic,
      entry.eventType,
      entry.schemaVersion,
      entry.key,
      entry.correlationId,
      entry.causationId,
      entry.occurredAt,
      entry.recordedAt.toISOString(),
      entry.paymentId,
      entry.payloadJson,
      entry.prevHash,
      entry.hash,
    ],
  );
}
