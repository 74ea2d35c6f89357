import { expect } from 'vitest';
import type { SqlRunner } from '../../src/backbone/storage/database.ts';

/**
 * The ledger's invariants, checked with SQL against the database after a test: every journal
 * entry's postings sum to zero; every customer balance equals the sum of its postings and every
 * reserved amount the sum of its open holds; no available balance is below its overdraft limit;
 * no payment is posted twice.
 */
export async function assertLedgerInvariants(db: SqlRunner): Promise<void> {
  const unbalanced = await db.query(
    `select entry_id, sum(amount_minor) as total from ledger_postings group by entry_id having sum(amount_minor) <> 0`,
  );
  expect(unbalanced.rows, 'journal entries whose postings do not sum to zero').toEqual([]);
  const total = await db.query<{ total: bigint | null }>(`select sum(amount_minor)::bigint as total from ledger_postings`);
  expect(total.rows[0]?.total ?? 0n, 'all postings sum to zero').toBe(0n);
  const drift = await db.query(
    `select a.account_id, a.balance_minor, coalesce(p.total, 0) as postings, a.reserved_minor, coalesce(h.total, 0) as holds
     from ledger_accounts a
     left join (select account_id, sum(amount_minor) as total from ledger_postings group by account_id) p using (account_id)
     left join (select account_id, sum(amount_minor) as total from ledger_holds where state = 'held' group by account_id) h using (account_id)
     where a.kind = 'customer' and (a.balance_minor <> coalesce(p.total, 0) or a.reserved_minor <> coalesce(h.total, 0))`,
  );
  expect(drift.rows, 'accounts whose balance or reserved amount differs from their postings or holds').toEqual([]);
  const overdrawn = await db.query(
    `select account_id from ledger_accounts where kind = 'customer' and balance_minor - reserved_minor < -overdraft_limit_minor`,
  );
  expect(overdrawn.rows, 'accounts below their overdraft limit').toEqual([]);
  const twice = await db.query(
    `select payment_id from ledger_journal_entries where payment_id is not null group by payment_id having count(*) > 1`,
  );
  expect(twice.rows, 'payments posted more than once').toEqual([]);
}
