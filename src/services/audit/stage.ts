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
  return (await stageAuditRecords(tx, [record], recordedAtMs)) === 1;
}

/**
 * Stages a batch of records in one statement, as `stageAuditRecord` does one; returns how many were
 * new. The rows are inserted in event-id order, the order every stager of the same events takes
 * their unique-index entries in, so two batches sharing events wait for each other, never deadlock.
 * The chained-already check probes audit_log's unique index once per record (`offset 0` keeps the
 * planner from making it a join, which it made a hash join over the whole log while the log was
 * young and its statistics stale).
 */
export async function stageAuditRecords(tx: SqlRunner, records: readonly AuditRecord[], recordedAtMs: number): Promise<number> {
  if (records.length === 0) return 0;
  const sorted = [...records].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const column = <T>(pick: (record: AuditRecord) => T): T[] => sorted.map(pick);
  const result = await tx.query(
    `insert into audit_pending (event_id, topic, event_type, schema_version, event_key, correlation_id, causation_id,
       occurred_at, recorded_at, payment_id, payload_json)
     select r.event_id, r.topic, r.event_type, r.schema_version, r.event_key, r.correlation_id, r.causation_id, r.occurred_at, $11::timestamptz, r.payment_id, r.payload_json
       from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
         with ordinality as r(event_id, topic, event_type, schema_version, event_key, correlation_id, causation_id, occurred_at, payment_id, payload_json, position)
      where not exists (select 1 from audit_log where event_id = r.event_id offset 0)
      order by r.position
     on conflict (event_id) do nothing`,
    [
      column((r) => r.eventId),
      column((r) => r.topic),
      column((r) => r.eventType),
      column((r) => r.schemaVersion),
      column((r) => r.key),
      column((r) => r.correlationId),
      column((r) => r.causationId),
      column((r) => r.occurredAt),
      column((r) => r.paymentId),
      column((r) => r.payloadJson),
      // Millisecond precision, as `AuditEntry.recordedAt` promises: the hash covers it.
      new Date(recordedAtMs).toISOString(),
    ],
  );
  return result.rowCount;
}
