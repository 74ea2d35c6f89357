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
];
