import type { Migration } from '../../backbone/storage/migrate.ts';

/**
 * The loans service's tables:
 * - `loan_applications`: each application (the applicant's personal data is here and nowhere
 *   else: the saga's commands carry ids and amounts), its idempotency key, and its status as the
 *   applicant sees it, kept in step with its saga by `onTransition`;
 * - `loan_kyc_checks`: the KYC participant's record per application: the command to answer, and
 *   whether it passed, was refused, waits for an officer's decision on a compliance case, or was
 *   withdrawn with that case when the application ended undecided;
 * - `loan_command_answers`: the answer given to each command of the credit score and risk
 *   participants, so a re-sent command is answered the same way and applies nothing twice;
 * - `loan_exposures` and `loan_exposure_totals`: the exposure recorded per loan and per currency
 *   (RISK_ASSESSMENT, undone by REVERT_RISK); the totals row is the lock that serialises them.
 */
export const loanMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'loan applications, KYC checks, command answers, exposures',
    sql: `
      create table loan_applications (
        application_id text primary key,
        saga_id text not null unique,
        api_key_id text not null,
        idempotency_key text not null,
        request_sha256 text not null,
        applicant jsonb not null,
        account text not null,
        amount_minor bigint not null check (amount_minor > 0),
        currency text not null,
        term_months integer not null check (term_months > 0),
        monthly_income_minor bigint not null check (monthly_income_minor > 0),
        monthly_debts_minor bigint not null check (monthly_debts_minor >= 0),
        status text not null default 'PENDING' check (status in ('PENDING', 'APPROVED', 'REJECTED')),
        reason_code text,
        credit_score integer,
        credit_reasons jsonb,
        created_at timestamptz not null,
        decided_at timestamptz,
        unique (api_key_id, idempotency_key)
      );
      create table loan_kyc_checks (
        application_id text primary key references loan_applications (application_id),
        command jsonb not null,
        status text not null check (status in ('pending', 'passed', 'refused')),
        case_id text,
        reason text,
        checked_at timestamptz not null default now()
      );
      create table loan_command_answers (
        command_id text primary key,
        ok boolean not null,
        reason text,
        answered_at timestamptz not null default now()
      );
      create table loan_exposures (
        application_id text primary key,
        account text not null,
        amount_minor bigint not null check (amount_minor > 0),
        currency text not null,
        state text not null check (state in ('recorded', 'reverted')),
        recorded_at timestamptz not null default now()
      );
      create index loan_exposures_account on loan_exposures (account, currency) where state = 'recorded';
      create table loan_exposure_totals (
        currency text primary key,
        total_minor bigint not null default 0 check (total_minor >= 0)
      );
    `,
  },
  {
    id: 2,
    name: 'a KYC check withdrawn with its case when the application ended undecided',
    // An application that ended before its KYC command arrived gets a withdrawn check without a
    // command, so a late KYC command (a send overtaken by the saga's deadline) opens no case.
    sql: `
      alter table loan_kyc_checks alter column command drop not null;
      alter table loan_kyc_checks drop constraint loan_kyc_checks_status_check;
      alter table loan_kyc_checks add constraint loan_kyc_checks_status_check
        check (status in ('pending', 'passed', 'refused', 'withdrawn'));
    `,
  },
];
