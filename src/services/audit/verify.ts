import type { SqlRunner } from '../../backbone/storage/database.ts';
import { entryHash, genesisHash, type AuditEntry } from './chain.ts';
import { auditEntryColumns, entryFromRow, type AuditRow } from './audit-rows.ts';

/** Why the chain is broken at a sequence. */
export type AuditChainBreak = 'gap' | 'prev-hash-mismatch' | 'hash-mismatch' | 'head-mismatch';

export type AuditChainVerification =
  | { ok: true; entries: number; lastSequence: bigint; lastHash: string }
  | {
      ok: false;
      /** Entries verified before the break. */
      entries: number;
      /** The first sequence that is missing, altered, or out of line with the chain head. */
      sequence: bigint;
      reason: AuditChainBreak;
      detail: string;
    };

export interface VerifyAuditChainOptions {
  /** Entries read per query, so a long chain is walked in constant memory. Default 1000. */
  batchEntries?: number;
}

/**
 * Walks the whole audit chain from sequence 1 and reports the first break: a missing sequence
 * (`gap`), an entry whose `prev_hash` is not its predecessor's hash, an entry whose stored hash
 * is not the hash of its fields, or a chain head that does not match the last entry (a removed
 * tail). Read-only; safe to run while events are appended, because it stops at the head it read
 * first, and every entry up to that head had committed by then (head and entry commit together).
 */
export async function verifyAuditChain(db: SqlRunner, options: VerifyAuditChainOptions = {}): Promise<AuditChainVerification> {
  const batchEntries = options.batchEntries ?? 1000;
  if (!Number.isInteger(batchEntries) || batchEntries < 1) throw new RangeError('batchEntries must be a positive integer');
  const head = await readHead(db);
  if (!head) return { ok: false, entries: 0, sequence: 1n, reason: 'head-mismatch', detail: 'the chain head row is missing' };
  let previous = { sequence: 0n, hash: genesisHash };
  let entries = 0;
  for (;;) {
    const result = await db.query<AuditRow>(
      `select ${auditEntryColumns} from audit_log where sequence > $1 and sequence <= $2 order by sequence limit $3`,
      [previous.sequence, head.lastSequence, batchEntries],
    );
    if (result.rows.length === 0) break;
    for (const row of result.rows) {
      const entry = entryFromRow(row);
      const broken = checkLink(previous, entry);
      if (broken) return { ok: false, entries, ...broken };
      previous = { sequence: entry.sequence, hash: entry.hash };
      entries++;
    }
  }
  if (previous.sequence !== head.lastSequence || previous.hash !== head.lastHash) {
    const detail = `the chain head is at sequence ${head.lastSequence}, the log ends at ${previous.sequence}${previous.sequence === head.lastSequence ? ' with a different hash' : ''}`;
    return { ok: false, entries, sequence: previous.sequence + 1n, reason: 'head-mismatch', detail };
  }
  return { ok: true, entries, lastSequence: head.lastSequence, lastHash: head.lastHash };
}

/** Checks one entry against its predecessor; undefined when the link holds. */
export function checkLink(
  previous: { sequence: bigint; hash: string },
  entry: AuditEntry,
): { sequence: bigint; reason: AuditChainBreak; detail: string } | undefined {
  const expected = previous.sequence + 1n;
  if (entry.sequence !== expected)
    return { sequence: expected, reason: 'gap', detail: `sequence ${expected} is missing; the next entry is ${entry.sequence}` };
  if (entry.prevHash !== previous.hash)
    return {
      sequence: entry.sequence,
      reason: 'prev-hash-mismatch',
      detail: `prev_hash of ${entry.sequence} is not the hash of ${previous.sequence}`,
    };
  if (entryHash(entry) !== entry.hash)
    return { sequence: entry.sequence, reason: 'hash-mismatch', detail: `the fields of ${entry.sequence} do not hash to its stored hash` };
  return undefined;
}

async function readHead(db: SqlRunner): Promise<{ lastSequence: bigint; lastHash: string } | undefined> {
  const result = await db.query<{ last_sequence: bigint; last_hash: string }>(
    `select last_sequence, last_hash from audit_chain_head where id = 1`,
  );
  const row = result.rows[0];
  return row && { lastSequence: row.last_sequence, lastHash: row.last_hash };
}
