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

/**
 * Where an outbox lives: its table (the shape of `outbox` above), the NOTIFY channel that wakes its
 * relay, and the session lock that keeps one relay active per table. The event bus's outbox is the
 * default; another channel (the saga commands bound for RabbitMQ) keeps its own, so that each relay
 * publishes only to its own broker.
 */
export interface OutboxTable {
  table: string;
  channel: string;
  lockName: string;
}

export const defaultOutboxTable: OutboxTable = { table: 'outbox', channel: outboxChannel, lockName: 'outbox-relay' };

/** The migration of an outbox table of another name, for an `OutboxTable` of one's own. */
export function outboxTableSql(table: string): string {
  assertIdentifier(table);
  return `create table ${table} (
            id bigserial primary key,
            topic text not null,
            key bytea not null,
            value bytea,
            headers jsonb not null default '{}'::jsonb,
            created_at timestamptz not null default now()
          );`;
}

/** Table names go into SQL text: a programmer's constant, never input, and checked as one. */
export function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new TypeError(`not a plain SQL identifier: ${JSON.stringify(name)}`);
}
