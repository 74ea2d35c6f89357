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
  const result = await tx.query<RawAccount>(
    `select ${accountColumns} from ledger_accounts where account_id = any($1::text[]) order by account_id for update`,
    [ids],
  );
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
  kind: 'deposit' | 'settlement' | 'internal-transfer' | 'loan-disbursement';
  paymentId: string | null;
  /** Unique per kind: a second entry with the same reference is refused (returns false). */
  reference: string;
  /** The customer's own text for a deposit (at most 140 characters), shown on the statement. */
  customerReference?: string | null;
  currency: string;
  postings: Posting[];
}

/**
 * Writes a balanced journal entry and moves the customer balances it touches (their rows must be
 * locked by the caller). Returns false, writing nothing, if an entry of this kind and reference
 * exists: applying the same business fact twice is impossible by construction.
 */
export async function postEntry(tx: SqlRunner, entry: JournalEntry): Promise<boolean> {
  if ((await postEntries(tx, [entry])) === 0) return false;
  const changes = new Map<string, { balanceMinor: bigint; reservedMinor: bigint }>();
  for (const posting of entry.postings)
    changes.set(posting.accountId, {
      balanceMinor: (changes.get(posting.accountId)?.balanceMinor ?? 0n) + posting.amountMinor,
      reservedMinor: 0n,
    });
  await applyAccountChanges(tx, changes);
  return true;
}

/**
 * Writes balanced journal entries and their postings (two statements, whatever their number); the
 * balances are the caller's to move (`applyAccountChanges`). An entry whose kind and reference
 * exist already is skipped with its postings; returns how many entries were written.
 */
export async function postEntries(tx: SqlRunner, entries: readonly JournalEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  for (const entry of entries) balanced(entry.postings);
  const inserted = await tx.query<{ entry_id: string }>(
    `insert into ledger_journal_entries (entry_id, kind, payment_id, reference, currency, customer_reference)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
     on conflict (kind, reference) do nothing returning entry_id`,
    [
      entries.map((e) => e.entryId),
      entries.map((e) => e.kind),
      entries.map((e) => e.paymentId),
      entries.map((e) => e.reference),
      entries.map((e) => e.currency),
      entries.map((e) => e.customerReference ?? null),
    ],
  );
  const written = new Set(inserted.rows.map((row) => row.entry_id));
  const postings = entries
    .filter((entry) => written.has(entry.entryId))
    .flatMap((entry) => entry.postings.map((posting) => ({ entryId: entry.entryId, ...posting })));
  if (postings.length > 0) {
    await tx.query(
      `insert into ledger_postings (entry_id, account_id, amount_minor) select * from unnest($1::text[], $2::text[], $3::bigint[])`,
      [postings.map((p) => p.entryId), postings.map((p) => p.accountId), postings.map((p) => p.amountMinor.toString())],
    );
  }
  return written.size;
}

/**
 * Moves customer accounts' balances and reserved amounts by the given deltas (their rows locked by
 * the caller), in one statement. The bank's own accounts keep no balance column: theirs is the sum
 * of their postings.
 */
export async function applyAccountChanges(
  tx: SqlRunner,
  changes: ReadonlyMap<string, { balanceMinor: bigint; reservedMinor: bigint }>,
): Promise<void> {
  const moved = [...changes]
    .filter(([, change]) => change.balanceMinor !== 0n || change.reservedMinor !== 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (moved.length === 0) return;
  await tx.query(
    `update ledger_accounts a set balance_minor = a.balance_minor + c.balance_delta, reserved_minor = a.reserved_minor + c.reserved_delta
       from unnest($1::text[], $2::bigint[], $3::bigint[]) as c (account_id, balance_delta, reserved_delta)
      where a.account_id = c.account_id and a.kind = 'customer'`,
    [moved.map(([id]) => id), moved.map(([, c]) => c.balanceMinor.toString()), moved.map(([, c]) => c.reservedMinor.toString())],
  );
}

export interface Hold {
  paymentId: string;
  accountId: string;
  amountMinor: bigint;
  currency: string;
  route: SettlementRoute;
  state: 'held' | 'posted' | 'released';
}

/** The holds of these payments, locked until the transaction ends (payment id order); absent ones are not in the map. */
export async function lockHolds(tx: SqlRunner, paymentIds: readonly string[]): Promise<Map<string, Hold>> {
  const ids = [...new Set(paymentIds)].sort();
  const result = await tx.query<{
    payment_id: string;
    account_id: string;
    amount_minor: bigint;
    currency: string;
    route: SettlementRoute;
    state: Hold['state'];
  }>(
    `select payment_id, account_id, amount_minor, currency, route, state from ledger_holds where payment_id = any($1::text[]) order by payment_id for update`,
    [ids],
  );
  return new Map(
    result.rows.map((row) => [
      row.payment_id,
      {
        paymentId: row.payment_id,
        accountId: row.account_id,
        amountMinor: row.amount_minor,
        currency: row.currency,
        route: row.route,
        state: row.state,
      },
    ]),
  );
}

/**
 * Inserts holds in the state they are in (one placed and resolved in the same batch is inserted
 * resolved); the accounts' reserved amounts are the caller's to move. A payment that has a hold
 * already is skipped; returns how many were inserted.
 */
export async function insertHolds(tx: SqlRunner, holds: readonly Hold[]): Promise<number> {
  if (holds.length === 0) return 0;
  const result = await tx.query(
    `insert into ledger_holds (payment_id, account_id, amount_minor, currency, route, state, resolved_at)
     select payment_id, account_id, amount_minor, currency, route, state, case when state = 'held' then null else now() end
       from unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[]) as h (payment_id, account_id, amount_minor, currency, route, state)
     on conflict (payment_id) do nothing`,
    [
      holds.map((h) => h.paymentId),
      holds.map((h) => h.accountId),
      holds.map((h) => h.amountMinor.toString()),
      holds.map((h) => h.currency),
      holds.map((h) => h.route),
      holds.map((h) => h.state),
    ],
  );
  return result.rowCount;
}

/** Ends open holds (locked by the caller): posted on settlement, released otherwise. Returns how many were open. */
export async function resolveHolds(
  tx: SqlRunner,
  outcomes: readonly { paymentId: string; state: 'posted' | 'released' }[],
): Promise<number> {
  if (outcomes.length === 0) return 0;
  const result = await tx.query(
    `update ledger_holds h set state = o.state, resolved_at = now()
       from unnest($1::text[], $2::text[]) as o (payment_id, state)
      where h.payment_id = o.payment_id and h.state = 'held'`,
    [outcomes.map((o) => o.paymentId), outcomes.map((o) => o.state)],
  );
  return result.rowCount;
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

export interface StatementLine {
  /** The statement's order: larger is newer. */
  statementSeq: bigint;
  entryId: string;
  kind: JournalEntry['kind'];
  paymentId: string | null;
  customerReference: string | null;
  /** Signed: credits positive, debits negative. */
  amountMinor: bigint;
  currency: string;
  bookedAt: Date;
}

/**
 * One page of an account's postings, newest first: those before `beforeSeq` (all when null), at
 * most `limit`. One index range scan (`ledger_postings_statement`), however long the history.
 */
export async function readStatement(
  tx: SqlRunner,
  query: { accountId: string; beforeSeq: bigint | null; limit: number },
): Promise<StatementLine[]> {
  const result = await tx.query<{
    statement_seq: bigint;
    entry_id: string;
    kind: JournalEntry['kind'];
    payment_id: string | null;
    customer_reference: string | null;
    amount_minor: bigint;
    currency: string;
    created_at: Date;
  }>(
    `select p.statement_seq, p.entry_id, e.kind, e.payment_id, e.customer_reference, p.amount_minor, e.currency, e.created_at
       from ledger_postings p join ledger_journal_entries e using (entry_id)
      where p.account_id = $1 and ($2::bigint is null or p.statement_seq < $2)
      order by p.statement_seq desc limit $3`,
    [query.accountId, query.beforeSeq?.toString() ?? null, query.limit],
  );
  return result.rows.map((row) => ({
    statementSeq: BigInt(row.statement_seq),
    entryId: row.entry_id,
    kind: row.kind,
    paymentId: row.payment_id,
    customerReference: row.customer_reference,
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    bookedAt: row.created_at,
  }));
}
