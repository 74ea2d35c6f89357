import type { Migration } from '../../backbone/storage/migrate.ts';

/**
 * One row per reconciliation run, never updated: a rerun of a day adds a row, and the API serves
 * the latest. Keeping every run shows when a break appeared and when it was resolved. Amounts in
 * `breaks` and `timing_differences` are minor units as strings (JSON has no 64-bit integers); the
 * rows name payments and UETRs, never people or accounts.
 */
export const reconciliationMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'reconciliation reports',
    sql: `
      create table reconciliation_reports (
        run_id text primary key,
        business_date text not null check (business_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
        run_at timestamptz not null,
        triggered_by text not null check (triggered_by in ('schedule', 'manual')),
        clean boolean not null,
        screening text not null check (screening in ('checked', 'not-checked')),
        statement_message_id text,
        counts jsonb not null,
        breaks jsonb not null,
        timing_differences jsonb not null
      );
      create index reconciliation_reports_latest on reconciliation_reports (business_date, run_at desc);
    `,
  },
];
