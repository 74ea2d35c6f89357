import type { Migration } from '../../backbone/storage/migrate.ts';

/**
 * The ledger's tables. `balance_minor` and `reserved_minor` on a customer account are kept under a
 * row lock in the same transaction as the postings and holds that change them, so they always equal
 * the sum of its postings and of its open holds (the invariants test checks it). The bank's own
 * accounts have no stored balance: every settlement would otherwise update one hot row and
 * serialise all ledger transactions; their balance is the sum of their postings.
 */
export const ledgerMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'ledger accounts, journal, postings, holds',
    sql: `
      create table ledger_accounts (
        account_id text primary key,
        kind text not null check (kind in ('customer', 'bank')),
        name text not null,
        currency text not null,
        status text not null default 'open' check (status in ('open', 'closed')),
        balance_minor bigint not null default 0,
        reserved_minor bigint not null default 0,
        overdraft_limit_minor bigint check (overdraft_limit_minor >= 0),
        email text,
        phone text,
        opened_at timestamptz not null default now(),
        check (kind = 'bank' or overdraft_limit_minor is not null),
        check (kind = 'bank' or balance_minor - reserved_minor >= -overdraft_limit_minor)
      );
      create table ledger_journal_entries (
        entry_id text primary key,
        kind text not null check (kind in ('deposit', 'settlement', 'internal-transfer')),
        payment_id text,
        reference text not null,
        currency text not null,
        created_at timestamptz not null default now(),
        unique (kind, reference)
      );
      create table ledger_postings (
        entry_id text not null references ledger_journal_entries (entry_id),
        account_id text not null references ledger_accounts (account_id),
        amount_minor bigint not null check (amount_minor <> 0),
        primary key (entry_id, account_id)
      );
      create index ledger_postings_account on ledger_postings (account_id);
      create table ledger_holds (
        payment_id text primary key,
        account_id text not null references ledger_accounts (account_id),
        amount_minor bigint not null check (amount_minor > 0),
        currency text not null,
        route text not null check (route in ('INTERNAL', 'RTGS')),
        state text not null check (state in ('held', 'posted', 'released')),
        created_at timestamptz not null default now(),
        resolved_at timestamptz
      );
      create index ledger_holds_open on ledger_holds (account_id) where state = 'held';
    `,
  },
  {
    id: 2,
    name: 'deposit references and account statements',
    // `customer_reference`: the depositor's own text (ISO 20022 unstructured remittance, Max140Text),
    // apart from `reference`, which is the ledger's idempotency key. `statement_seq` orders an
    // account's postings for its statement (newest first) and is the statement's cursor: it grows
    // with every insert, so a page boundary never moves; a posting committed after a reader passed
    // its place appears on that reader's next first page.
    sql: `
      alter table ledger_journal_entries add column customer_reference text check (char_length(customer_reference) between 1 and 140);
      alter table ledger_postings add column statement_seq bigserial;
      create index ledger_postings_statement on ledger_postings (account_id, statement_seq desc);
    `,
  },
  {
    id: 3,
    name: 'loans: the lending capacity, loan holds and disbursements, the loan commands answered',
    // A loan is reserved as a hold (route LOAN, id loan:<applicationId>) on the bank's loan-funding
    // account of its currency and paid out as a 'loan-disbursement' entry (reference: the
    // application id, so at most one). `ledger_lending_capacity` keeps, per currency, the capacity
    // configured and what is reserved and lent against it, under the row lock every loan command
    // takes. `ledger_loan_commands` keeps each saga command's answer, so a re-sent command is
    // answered the same way whatever happened since.
    sql: `
      alter table ledger_holds drop constraint ledger_holds_route_check;
      alter table ledger_holds add constraint ledger_holds_route_check check (route in ('INTERNAL', 'RTGS', 'LOAN'));
      alter table ledger_journal_entries drop constraint ledger_journal_entries_kind_check;
      alter table ledger_journal_entries add constraint ledger_journal_entries_kind_check
        check (kind in ('deposit', 'settlement', 'internal-transfer', 'loan-disbursement'));
      create table ledger_lending_capacity (
        currency text primary key,
        account_id text not null references ledger_accounts (account_id),
        capacity_minor bigint not null check (capacity_minor >= 0),
        reserved_minor bigint not null default 0 check (reserved_minor >= 0),
        lent_minor bigint not null default 0 check (lent_minor >= 0)
      );
      create table ledger_loan_commands (
        command_id text primary key,
        ok boolean not null,
        reason text,
        answered_at timestamptz not null default now()
      );
    `,
  },
];
