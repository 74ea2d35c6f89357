import type { Migration } from '../../backbone/storage/migrate.ts';

/**
 * The gateway's record of every pacs.008 it sent, one row per UETR. It is written in the
 * consumer's transaction (so it exists if and only if `rtgs.submitted` was published), and its
 * `state` moves from `submitted` to `settled` or `rejected` once, in the same transaction as the
 * outbox write of the matching event. The pacs.008 is kept to resend it if the network says it
 * never received it; the row holds personal data (names, IBANs in the XML) and is never logged.
 */
export const rtgsMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'rtgs submissions',
    sql: `
      create table rtgs_submissions (
        uetr text primary key,
        payment_id text not null,
        debtor_account text not null,
        message_id text not null,
        amount_minor bigint not null,
        currency text not null,
        state text not null check (state in ('submitted', 'settled', 'rejected')),
        reason_code text,
        settlement_date text,
        decided_via text check (decided_via in ('callback', 'status-query')),
        pacs008 text not null,
        correlation_id text not null,
        cause_event_id text,
        traceparent text,
        submitted_at timestamptz not null,
        decided_at timestamptz,
        next_check_at timestamptz,
        status_checks integer not null default 0,
        last_checked_at timestamptz
      );
      create index rtgs_submissions_awaiting on rtgs_submissions (next_check_at) where state = 'submitted';
    `,
  },
  {
    id: 2,
    name: 'rtgs submissions refused when sent',
    sql: `
      alter table rtgs_submissions drop constraint rtgs_submissions_decided_via_check;
      alter table rtgs_submissions add constraint rtgs_submissions_decided_via_check check (decided_via in ('callback', 'status-query', 'submit-refused'));
    `,
  },
];
