import type { Migration } from '../../backbone/storage/migrate.ts';

/**
 * Fraud scoring's tables. `fraud_account_state` is each debtor account's risk state (recent
 * payments, known beneficiaries), read with `for update` and written in the consumer's batch
 * transaction, so it moves exactly once per payment, in the account's order. `fraud_scores` is one
 * row per scored payment: it makes a payment that arrives twice score once (even after the
 * consumer's processed-event ids were pruned), and it is the record of every score and its reasons.
 */
export const fraudMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'fraud account state and scores',
    sql: `
      create table fraud_account_state (
        debtor_account text primary key,
        recent_payments jsonb not null default '[]',
        known_beneficiaries jsonb not null default '[]',
        updated_at timestamptz not null default now()
      );
      create table fraud_scores (
        payment_id text primary key,
        debtor_account text not null,
        event_id text not null,
        score int not null check (score between 0 and 100),
        decision text not null check (decision in ('PASS', 'REVIEW')),
        reasons jsonb not null,
        case_id text,
        scored_at timestamptz not null,
        recorded_at timestamptz not null default now(),
        check ((decision = 'REVIEW') = (case_id is not null))
      );
      create index fraud_scores_account on fraud_scores (debtor_account, scored_at);
    `,
  },
  {
    id: 2,
    name: 'fraud velocity baseline per account',
    // An account scored before this starts with no baseline: its bursts are judged against the
    // minimum until its windows fill in.
    sql: `
      alter table fraud_account_state add column velocity_history jsonb not null default '{"recentWindows":[],"dailyPeaks":[]}';
    `,
  },
];
