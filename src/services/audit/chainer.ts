import type { Database } from '../../backbone/storage/database.ts';
import { appendLinked, linkEntries, lockChainHead } from './chain-store.ts';
import { auditPendingColumns, pendingFromRow, type PendingRow } from './audit-rows.ts';

/** What one chaining round did. */
export interface ChainRound {
  /** Staged rows read (and deleted): `chained` plus `duplicates`. */
  taken: number;
  /** Entries appended to the chain. */
  chained: number;
  /** Staged records whose event was already chained, dropped. */
  duplicates: number;
  /** The chain head's sequence after the round. */
  lastSequence: bigint;
}

/**
 * Moves up to `batchEntries` staged records into the chain, in one transaction: lock the chain
 * head, read the oldest staged rows by id, link them after the head, insert them into `audit_log`,
 * delete them from `audit_pending`, move the head. A crash or an error rolls all of it back, so a
 * record is either still staged or chained, never both and never lost.
 *
 * The chain order is the order of chaining. Staged ids are allocated at insert, not at commit, so a
 * lower id can commit after a higher one was chained: it is simply chained in a later round, after
 * it. Events committed by the consumers before another was staged are therefore chained before it
 * (causes before their effects), while events staged concurrently take the order the chainer finds
 * them in. Several processes may run a chainer: the head lock makes them take turns, and each reads
 * the staged rows only after it holds the lock, so it never sees rows its predecessor moved.
 */
export async function chainPendingRound(db: Database, batchEntries: number): Promise<ChainRound> {
  return db.transaction(async (tx) => {
    const head = await lockChainHead(tx);
    const staged = (
      await tx.query<PendingRow>(`select ${auditPendingColumns} from audit_pending order by id limit $1`, [batchEntries])
    ).rows.map(pendingFromRow);
    if (staged.length === 0) return { taken: 0, chained: 0, duplicates: 0, lastSequence: head.lastSequence };
    // A redelivery staged while this event was being chained slips past the consumer's check (see
    // stage.ts); the unique index on audit_log would refuse it and stall the chain, so drop it here.
    // One index probe per staged record, whatever the planner thinks of the log's size.
    const chainedAlready = await tx.query<{ event_id: string }>(
      `select a.event_id from unnest($1::text[]) as s(event_id)
         cross join lateral (select event_id from audit_log where event_id = s.event_id offset 0) a`,
      [staged.map((record) => record.eventId)],
    );
    const duplicateIds = new Set(chainedAlready.rows.map((row) => row.event_id));
    const fresh = staged.filter((record) => !duplicateIds.has(record.eventId)).map(({ pendingId: _pendingId, ...record }) => record);
    const linked = linkEntries(head, fresh);
    await appendLinked(tx, linked.entries, linked.head);
    await tx.query(`delete from audit_pending where id = any($1::int8[])`, [staged.map((record) => record.pendingId.toString())]);
    return {
      taken: staged.length,
      chained: fresh.length,
      duplicates: staged.length - fresh.length,
      lastSequence: linked.head.lastSequence,
    };
  });
}
