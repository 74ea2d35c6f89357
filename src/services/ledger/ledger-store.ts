import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { SettlementRoute } from '../../contracts/payment.ts';
import { balanced, bankAccounts, type AccountState, type Posting } from './domain/ledger.ts';

/**
 * The ledger's SQL, every function inside a caller's transaction. Row locks (`for update`) are
 * taken in account-id order, so two transactions locking the same accounts cannot deadlock on them.
 */
export interface AccountRow extends AccountState {
  kind: 'customer' | 'bank';
  name: string;
  email: string | null;
  phone: string | null;
  openedAt: Date;
}

const accountColumns = `account_id, kind, name, currency, status, balance_minor, reserved_minor, overdraft_limit_minor, email, phone, opened_at`;

interface RawAccount {
  account_id: string;
  kind: 'customer' | 'bank';
  name: string;
  currency: string;
  status: 'open' | 'closed';
  balance_minor: bigint;
  reserved_minor: bigint;
  overdraft_limit_minor: bigint | null;
  email: string | null;
  phone: string | null;
  opened_at: Date;
}

function toAccount(row: RawAccount): AccountRow {
  return {
    accountId: row.account_id,
    kind: row.kind,
    name: row.name,
    currency: row.currency,
    status: row.status,
    balanceMinor: row.balance_minor,
    reservedMinor: row.reserved_minor,
    overdraftLimitMinor: row.overdraft_limit_minor,
    email: row.email,
    phone: row.phone,
    openedAt: row.opened_at,
  };
}

export async function findAccount(tx: SqlRunner, accountId: string): Promise<AccountRow | undefined> {
  const result = await tx.query<RawAccount>(`select ${accountColumns} from ledger_accounts where account_id = $1`, [accountId]);
  return result.rows[0] && toAccount(result.rows[0]);
}

/** Locks the given customer accounts until the transaction ends, in id order. */
export async function lockAccounts(tx: SqlRunner, accountIds: readonly string[]): Promise<Map<string, AccountRow>> {
  const ids = [...new Set(accountIds)].sort();
  const result = await tx.query<RawAccount>(`select ${accountColumns} from ledger_accounts where account_id = any($1::text[]) order by account_id for update`, [ids]);
  return new Map(result.rows.map((row) => [row.account_id, toAccount(row)]));
}

export interface NewAccount {
  accountId: string;
  name: string;
  currency: string;
  overdraftLimitMinor: bigint;
  email?: string | undefined;
  phone?: string | undefined;
}

/** Opens a customer account (and the bank's own accounts of its currency). False if the id is taken. */
export async function openAccount(tx: SqlRunner, account: NewAccount): Promise<boolean> {
  await ensureBankAccounts(tx, account.currency);
  const result = await tx.query(
    `insert into ledger_accounts (account_id, kind, name, currency, overdraft_limit_minor, email, phone)
     values ($1, 'customer', $2, $3, $4, $5, $6) on conflict (account_id) do nothing`,
    [account.accountId, account.name, account.currency, account.overdraftLimitMinor, account.email ?? null, account.phone ?? null],
  );
  return result.rowCount === 1;
}

export async function ensureBankAccounts(tx: SqlRunner, currency: string): Promise<void> {
  await tx.query(
    `insert into ledger_accounts (account_id, kind, name, currency) values
       ($1, 'bank', 'Funding (bank capital and cash)', $3), ($2, 'bank', 'RTGS settlement', $3)
     on conflict (account_id) do nothing`,
    [bankAccounts.funding(currency), bankAccounts.rtgsSettlement(currency), currency],
  );
}

export interface JournalEntry {
  entryId: string;
  kind: 'deposit' | 'settlement' | 'internal-transfer';
  paymentId: string | null;
  /** Unique per kind: a second entry with the same reference is refused (returns false). */
  reference: string;
  currency: string;
  postings: Posting[];
}

/**
 * Writes a balanced journal entry and moves the customer balances it touches (their rows must be
 * locked by the caller). Returns false, writing nothing, if an entry of this kind and reference
 * exists: applying the same business fact twice is impossible by construction.
 */
export async function postEntry(tx: SqlRunner, entry: JournalEntry): Promise<boolean> {
  balanced(entry.postings);
  const inserted = await tx.query(
    `insert into ledger_journal_entries (entry_id, kind, payment_id, reference, currency) values ($1, $2, $3, $4, $5)
     on conflict (kind, reference) do nothing`,
    [entry.entryId, entry.kind, entry.paymentId, entry.reference, entry.currency],
  );
  if (inserted.rowCount === 0) return false;
  await tx.query(
    `insert into ledger_postings (entry_id, account_id, amount_minor)
     select $1, account_id, amount_minor from unnest($2::text[], $3::bigint[]) as p (account_id, amount_minor)`,
    [entry.entryId, entry.postings.map((p) => p.accountId), entry.postings.map((p) => p.amountMinor.toString())],
  );
  await tx.query(
    `update ledger_accounts a set balance_minor = a.balance_minor + p.amount_minor
     from unnest($1::text[], $2::bigint[]) as p (account_id, amount_minor)
     where a.account_id = p.account_id and a.kind = 'customer'`,
    [entry.postings.map((p) => p.accountId), entry.postings.map((p) => p.amountMinor.toString())],
  );
  return true;
}

export interface Hold {
  paymentId: string;
  accountId: string;
  amountMinor: bigint;
  currency: string;
  route: SettlementRoute;
  state: 'held' | 'posted' | 'released';
}

/** Places a hold on a locked account. False if the payment already has one (of any state). */
export async function placeHold(tx: SqlRunner, hold: Omit<Hold, 'state'>): Promise<boolean> {
  const inserted = await tx.query(
    `insert into ledger_holds (payment_id, account_id, amount_minor, currency, route, state) values ($1, $2, $3, $4, $5, 'held')
     on conflict (payment_id) do nothing`,
    [hold.paymentId, hold.accountId, hold.amountMinor, hold.currency, hold.route],
  );
  if (inserted.rowCount === 0) return false;
  await tx.query(`update ledger_accounts set reserved_minor = reserved_minor + $2 where account_id = $1`, [hold.accountId, hold.amountMinor]);
  return true;
}

export async function findHold(tx: SqlRunner, paymentId: string): Promise<Hold | undefined> {
  const result = await tx.query<{ payment_id: string; account_id: string; amount_minor: bigint; currency: string; route: SettlementRoute; state: Hold['state'] }>(
    `select payment_id, account_id, amount_minor, currency, route, state from ledger_holds where payment_id = $1`,
    [paymentId],
  );
  const row = result.rows[0];
  return row && { paymentId: row.payment_id, accountId: row.account_id, amountMinor: row.amount_minor, currency: row.currency, route: row.route, state: row.state };
}

/** Ends an open hold (its account row locked by the caller): posted on settlement, released otherwise. */
export async function resolveHold(tx: SqlRunner, hold: Hold, outcome: 'posted' | 'released'): Promise<boolean> {
  const updated = await tx.query(`update ledger_holds set state = $2, resolved_at = now() where payment_id = $1 and state = 'held'`, [hold.paymentId, outcome]);
  if (updated.rowCount === 0) return false;
  await tx.query(`update ledger_accounts set reserved_minor = reserved_minor - $2 where account_id = $1`, [hold.accountId, hold.amountMinor]);
  return true;
}

export interface TrialBalanceLine {
  currency: string;
  debitsMinor: bigint;
  creditsMinor: bigint;
}

/** Totals of debits (negative postings) and credits (positive) per currency, over all accounts. */
export async function trialBalance(tx: SqlRunner): Promise<TrialBalanceLine[]> {
  const result = await tx.query<{ currency: string; debits: bigint; credits: bigint }>(
    `select a.currency,
            coalesce(sum(-p.amount_minor) filter (where p.amount_minor < 0), 0)::bigint as debits,
            coalesce(sum(p.amount_minor) filter (where p.amount_minor > 0), 0)::bigint as credits
     from ledger_postings p join ledger_accounts a using (account_id)
     group by a.currency order by a.currency`,
  );
  return result.rows.map((row) => ({ currency: row.currency, debitsMinor: row.debits, creditsMinor: row.credits }));
}
