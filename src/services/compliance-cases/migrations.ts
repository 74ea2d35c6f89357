import type { Migration } from '../../backbone/storage/migrate.ts';

/**
 * The compliance case queue: payments held for a compliance officer, by sanctions screening
 * (a MEDIUM match) or fraud scoring (a score above the review threshold). A case keeps the
 * evidence, and the event that releases the payment if an officer approves it.
 */
export const complianceCaseMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'compliance cases',
    sql: `
      create table compliance_cases (
        case_id text primary key,
        payment_id text not null,
        debtor_account text not null,
        correlation_id text not null,
        stage text not null check (stage in ('SCREENING', 'FRAUD')),
        status text not null default 'open' check (status in ('open', 'approved', 'rejected')),
        reason text not null,
        evidence jsonb not null,
        on_approve jsonb not null,
        amount_minor bigint not null,
        currency text not null,
        opened_at timestamptz not null default now(),
        decided_at timestamptz,
        decided_by text,
        decision_reason text,
        unique (payment_id, stage)
      );
      create index compliance_cases_open on compliance_cases (opened_at) where status = 'open';
    `,
  },
  {
    id: 2,
    name: 'payments attached to an open case of their account',
    // A payment held while its account has an open FRAUD case joins that case instead of opening
    // another (openOrAttachToAccountCase); the officer's decision on the case applies to each.
    sql: `
      create table compliance_case_payments (
        payment_id text primary key,
        case_id text not null references compliance_cases (case_id),
        correlation_id text not null,
        reason text not null,
        evidence jsonb not null,
        on_approve jsonb not null,
        amount_minor bigint not null,
        currency text not null,
        attached_at timestamptz not null default now()
      );
      create index compliance_case_payments_case on compliance_case_payments (case_id);
      create index compliance_cases_open_by_account on compliance_cases (debtor_account, stage) where status = 'open';
    `,
  },
  {
    id: 3,
    name: 'the event that ends a case subject other than a payment on rejection',
    // A loan applicant's KYC case (its payment_id is the application's id) is answered by events of
    // the loans service on either decision: on_reject replaces payments.rejected.v1 for it.
    sql: `alter table compliance_cases add column on_reject jsonb;`,
  },
  {
    id: 4,
    name: 'a case withdrawn when its subject ended before a decision',
    // A loan applicant's KYC case whose application ended undecided (the saga gave up waiting) is
    // withdrawn by the loans service in the transaction that ended it (withdrawCase): no officer
    // may decide it after that. decided_at, decided_by and decision_reason say when, who and why.
    sql: `
      alter table compliance_cases drop constraint compliance_cases_status_check;
      alter table compliance_cases add constraint compliance_cases_status_check
        check (status in ('open', 'approved', 'rejected', 'withdrawn'));
    `,
  },
];
