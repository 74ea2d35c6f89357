import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { SettlementRoute } from '../../contracts/payment.ts';

/**
 * The ledger's public reads: what other services may know of the ledger's tables, which only the
 * ledger writes (docs/ARCHITECTURE.md, "ADR: each table has one owning service"). Each runs in the caller's `tx`, so a caller that reads
 * several services at REPEATABLE READ sees one snapshot; none writes or locks. A service that moves
 * to a database of its own replaces a call here with a projection of the ledger's events.
 */

/** A customer account as a payment's checks need it. */
export interface CustomerAccountView {
  currency: string;
  status: 'open' | 'closed';
}

/** The customer accounts among `accountIds` (the bank's own accounts are not customers), by id; unknown ids are absent. */
export async function customerAccounts(tx: SqlRunner, accountIds: readonly string[]): Promise<Map<string, CustomerAccountView>> {
  const found = await tx.query<{ account_id: string; currency: string; status: 'open' | 'closed' }>(
    `select account_id, currency, status from ledger_accounts where account_id = any($1::text[]) and kind = 'customer'`,
    [[...new Set(accountIds)]],
  );
  return new Map(found.rows.map((row) => [row.account_id, { currency: row.currency, status: row.status }]));
}

/** How to reach an account's holder; either may be missing. */
export interface AccountContact {
  email?: string;
  phone?: string;
}

/** The contacts of those of `accountIds` that have an email or a phone, by account id. */
export async function accountContacts(tx: SqlRunner, accountIds: readonly string[]): Promise<Map<string, AccountContact>> {
  const found = await tx.query<{ account_id: string; email: string | null; phone: string | null }>(
    `select account_id, email, phone from ledger_accounts where account_id = any($1::text[]) and (email is not null or phone is not null)`,
    [[...accountIds]],
  );
  return new Map(
    found.rows.map((row) => [row.account_id, { ...(row.email ? { email: row.email } : {}), ...(row.phone ? { phone: row.phone } : {}) }]),
  );
}

/** A journal entry that moved a payment's money: its amount is the sum of its credit postings. */
export interface PaymentEntry {
  paymentId: string;
  kind: 'settlement' | 'internal-transfer';
  currency: string;
  createdAt: Date;
  amountMinor: bigint;
}

/**
 * The settlement and internal-transfer entries posted in [`fromInclusive`, `toExclusive`), and
 * those of `paymentIds` whenever they were posted.
 */
export async function paymentEntries(
  tx: SqlRunner,
  fromInclusive: Date,
  toExclusive: Date,
  paymentIds: readonly string[],
): Promise<PaymentEntry[]> {
  const found = await tx.query<{
    payment_id: string;
    kind: 'settlement' | 'internal-transfer';
    currency: string;
    created_at: Date;
    amount_minor: bigint | string;
  }>(
    `select e.payment_id, e.kind, e.currency, e.created_at,
            (select coalesce(sum(lp.amount_minor), 0) from ledger_postings lp where lp.entry_id = e.entry_id and lp.amount_minor > 0)::bigint as amount_minor
       from ledger_journal_entries e
      where e.kind in ('settlement', 'internal-transfer')
        and ((e.created_at >= $1 and e.created_at < $2) or e.payment_id = any($3::text[]))`,
    [fromInclusive, toExclusive, [...paymentIds]],
  );
  return found.rows.map((row) => ({
    paymentId: row.payment_id,
    kind: row.kind,
    currency: row.currency,
    createdAt: row.created_at,
    amountMinor: BigInt(row.amount_minor),
  }));
}

/** The route of each of `paymentIds` that the ledger reserved (its hold), by payment id. */
export async function holdRoutes(tx: SqlRunner, paymentIds: readonly string[]): Promise<Map<string, SettlementRoute>> {
  const found = await tx.query<{ payment_id: string; route: SettlementRoute }>(
    `select payment_id, route from ledger_holds where payment_id = any($1::text[])`,
    [[...paymentIds]],
  );
  return new Map(found.rows.map((row) => [row.payment_id, row.route]));
}

/** What a credit decision may know of an account's history in the ledger. */
export interface AccountHistory {
  currency: string;
  status: 'open' | 'closed';
  openedAt: Date;
  balanceMinor: bigint;
  /** Money paid into the account so far (deposits, incoming transfers, loans). */
  creditsMinor: bigint;
  /** Money paid out of it so far, as a positive amount. */
  debitsMinor: bigint;
}

/** The history of a customer account (undefined when it is not one). */
export async function accountHistory(tx: SqlRunner, accountId: string): Promise<AccountHistory | undefined> {
  const found = await tx.query<{
    currency: string;
    status: 'open' | 'closed';
    opened_at: Date;
    balance_minor: bigint;
    credits_minor: bigint | string;
    debits_minor: bigint | string;
  }>(
    `select a.currency, a.status, a.opened_at, a.balance_minor,
            coalesce((select sum(amount_minor) from ledger_postings p where p.account_id = a.account_id and p.amount_minor > 0), 0)::bigint as credits_minor,
            coalesce((select -sum(amount_minor) from ledger_postings p where p.account_id = a.account_id and p.amount_minor < 0), 0)::bigint as debits_minor
       from ledger_accounts a where a.account_id = $1 and a.kind = 'customer'`,
    [accountId],
  );
  const row = found.rows[0];
  return (
    row && {
      currency: row.currency,
      status: row.status,
      openedAt: row.opened_at,
      balanceMinor: BigInt(row.balance_minor),
      creditsMinor: BigInt(row.credits_minor),
      debitsMinor: BigInt(row.debits_minor),
    }
  );
}
