import type { Migration } from '../storage/migrate.ts';

export const outboxMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'outbox table',
    sql: `
      create table outbox (
        id bigserial primary key,
        topic text not null,
        key bytea not null,
        value bytea,
        headers jsonb not null default '{}'::jsonb,
        created_at timestamptz not null default now()
      );
    `,
  },
];

/** NOTIFY channel that wakes the relay when a transaction wrote outbox rows. */
export const outboxChannel = 'paystream_outbox';
