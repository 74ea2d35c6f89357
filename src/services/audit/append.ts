import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { ConsumedEvent } from '../../backbone/consumer/handler.ts';
import { paymentIdOf, type AuditEntry } from './chain.ts';
import { appendLinked, linkEntries, lockChainHead, type AuditRecord } from './chain-store.ts';
import { canonicalJson } from './safe-json.ts';

export type { AuditRecord } from './chain-store.ts';

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
 * Appends one record straight to the chain inside `tx`, or does nothing if its eventId is already
 * chained; returns the new entry, or undefined for a duplicate. For tools and tests: it locks the
 * chain head until `tx` ends, which is exactly what the audit consumer must not do (it stages with
 * `stageAuditRecord` and the chainer places the records). A record of the same event that is still
 * staged is dropped by the chainer when it sees the event already chained.
 */
export async function appendAuditEntry(tx: SqlRunner, record: AuditRecord, recordedAtMs: number): Promise<AuditEntry | undefined> {
  const head = await lockChainHead(tx);
  // After the lock, so two transactions carrying the same event cannot both append it.
  const existing = await tx.query(`select 1 from audit_log where event_id = $1`, [record.eventId]);
  if (existing.rows.length > 0) return undefined;
  const linked = linkEntries(head, [{ ...record, recordedAt: new Date(recordedAtMs) }]);
  await appendLinked(tx, linked.entries, linked.head);
  return linked.entries[0];
}
