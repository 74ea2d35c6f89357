import type { SqlRunner } from '../../backbone/storage/database.ts';
import { entryHash, type AuditEntry } from './chain.ts';

/** The chain's position: the last sequence and its hash (`genesisHash` before the first entry). */
export interface ChainHead {
  lastSequence: bigint;
  lastHash: string;
}

/** What is audited of one event, before it has a place in the chain. */
export type AuditRecord = Omit<AuditEntry, 'sequence' | 'recordedAt' | 'prevHash' | 'hash'>;

/**
 * Locks the single chain head row `for update` and returns it. Whoever holds it is the only one
 * placing entries until its transaction ends: that is what makes the order total and gap-free
 * across processes. The lock waits for a concurrent holder, then sees what it committed.
 */
export async function lockChainHead(tx: SqlRunner): Promise<ChainHead> {
  const result = await tx.query<{ last_sequence: bigint; last_hash: string }>(
    `select last_sequence, last_hash from audit_chain_head where id = 1 for update`,
  );
  const row = result.rows[0];
  // The migration inserts the row and a trigger refuses its deletion: its absence is a broken install.
  if (!row) throw new Error('audit_chain_head has no row: the audit migrations did not run');
  return { lastSequence: row.last_sequence, lastHash: row.last_hash };
}

/**
 * Places `records` after `head`, in the order given: each takes the next sequence and links to
 * the hash before it. Pure; the caller must hold the head lock for the result to be the chain.
 */
export function linkEntries(
  head: ChainHead,
  records: readonly (AuditRecord & { recordedAt: Date })[],
): { entries: AuditEntry[]; head: ChainHead } {
  let previous = head;
  const entries = records.map((record) => {
    const unhashed: Omit<AuditEntry, 'hash'> = { ...record, sequence: previous.lastSequence + 1n, prevHash: previous.lastHash };
    const entry: AuditEntry = { ...unhashed, hash: entryHash(unhashed) };
    previous = { lastSequence: entry.sequence, lastHash: entry.hash };
    return entry;
  });
  return { entries, head: previous };
}

/**
 * Inserts linked entries into `audit_log` in one statement and moves the chain head to the last of
 * them, inside the caller's transaction (which holds the head lock): entries and head commit
 * together, which `verifyAuditChain` relies on.
 */
export async function appendLinked(tx: SqlRunner, entries: readonly AuditEntry[], head: ChainHead): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `insert into audit_log (sequence, event_id, topic, event_type, schema_version, event_key, correlation_id, causation_id,
       occurred_at, recorded_at, payment_id, payload_json, prev_hash, hash)
     select * from unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[],
       $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::text[], $14::text[])`,
    [
      entries.map((entry) => entry.sequence.toString()),
      entries.map((entry) => entry.eventId),
      entries.map((entry) => entry.topic),
      entries.map((entry) => entry.eventType),
      entries.map((entry) => entry.schemaVersion),
      entries.map((entry) => entry.key),
      entries.map((entry) => entry.correlationId),
      entries.map((entry) => entry.causationId),
      entries.map((entry) => entry.occurredAt),
      entries.map((entry) => entry.recordedAt.toISOString()),
      entries.map((entry) => entry.paymentId),
      entries.map((entry) => entry.payloadJson),
      entries.map((entry) => entry.prevHash),
      entries.map((entry) => entry.hash),
    ],
  );
  await tx.query(`update audit_chain_head set last_sequence = $1, last_hash = $2 where id = 1`, [head.lastSequence, head.lastHash]);
}
