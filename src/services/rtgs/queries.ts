import type { SqlRunner } from '../../backbone/storage/database.ts';

/**
 * The RTGS gateway's public reads of `rtgs_submissions`, which only it writes
 * (docs/ARCHITECTURE.md, "ADR: each table has one owning service"). Each runs in the caller's
 * `tx`, so a caller reading several services at REPEATABLE READ sees one snapshot; none writes or
 * locks.
 */

/** A payment's latest submission to the network. */
export interface LatestSubmission {
  paymentId: string;
  uetr: string;
  /** The network's settlement date (ISO date), once it settled. */
  settlementDate: string | undefined;
}

/**
 * The latest submission of each of `paymentIds`, and of each payment whose latest submission
 * carries one of `uetrs`, by payment id.
 */
export async function latestSubmissions(
  tx: SqlRunner,
  paymentIds: readonly string[],
  uetrs: readonly string[],
): Promise<Map<string, LatestSubmission>> {
  const found = await tx.query<{ payment_id: string; uetr: string; settlement_date: string | null }>(
    `select distinct on (payment_id) payment_id, uetr, settlement_date
       from rtgs_submissions
      where payment_id = any($1::text[]) or payment_id in (select payment_id from rtgs_submissions where uetr = any($2::text[]))
      order by payment_id, submitted_at desc`,
    [[...paymentIds], [...uetrs]],
  );
  const askedIds = new Set(paymentIds);
  const askedUetrs = new Set(uetrs);
  const latest = new Map<string, LatestSubmission>();
  for (const row of found.rows) {
    // A payment found by an older submission's UETR is not asked for: only its latest one counts.
    const isAsked = askedIds.has(row.payment_id) || askedUetrs.has(row.uetr);
    if (isAsked)
      latest.set(row.payment_id, { paymentId: row.payment_id, uetr: row.uetr, settlementDate: row.settlement_date ?? undefined });
  }
  return latest;
}
