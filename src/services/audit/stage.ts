import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { AuditRecord } from './chain-store.ts';

/**
 * Stages one record for the chainer inside `tx` (the consumer's batch transaction), or does nothing
 * if its eventId is already staged or already chained; returns whether it was staged.
 *
 * It takes no lock on the chain head, so consumers of many partitions never queue behind each
 * other (or hold a pooled connection while they wait). A concurrent insert of the same eventId
 * waits on the unique index for the other transaction and then inserts nothing; the one race this
 * check cannot see (the chainer moving the same event while this runs) is caught by the chainer,
 * which drops a staged record whose event is already chained. A trigger wakes the chainer at commit.
 */
export async function stageAuditRecord(tx: SqlRunner, record: AuditRecord, recordedAtMs: number): Promise<boolean> {
  const result = await tx.query(
    `insert into audit_pending (event_id, topic, event_type, schema_version, event_key, correlation_id, causation_id,
       occurred_at, recorded_at, payment_id, payload_json)
     select $1::text, $2::text, $3::text, $4::int, $5::text, $6::text, $7::text, $8::text, $9::timestamptz, $10::text, $11::text
     where not exists (select 1 from audit_log where event_id = $1::text)
     on conflict (event_id) do nothing`,
    [
      record.eventId,
      record.topic,
      record.eventType,
      record.schemaVersion,
      record.key,
      record.correlationId,
      record.causationId,
      record.occurredAt,
      // Millisecond precision, as `AuditEntry.recordedAt` promises: the hash covers it.
      new Date(recordedAtMs).toISOString(),
      record.paymentId,
      record.payloadJson,
    ],
  );
  return result.rowCount === 1;
}
