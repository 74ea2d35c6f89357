import type { Migration } from '../storage/migrate.ts';
import { outboxTableSql, type OutboxTable } from '../outbox/index.ts';

/** The outbox of commands bound for RabbitMQ, apart from the event bus's outbox and with a relay of its own. */
export const commandOutbox: OutboxTable = {
  table: 'saga_command_outbox',
  channel: 'paystream_saga_command_outbox',
  lockName: 'saga-command-relay',
};

/**
 * The channel's tables: its outbox (the event bus outbox's shape), and the commands each
 * participant has handled, by command id and attempt (a re-send after a deadline is a new attempt
 * and reaches the handler; a redelivery of the same send does not).
 */
export const rabbitCommandChannelMigrations: Migration[] = [
  {
    id: 1,
    name: 'saga command outbox and the handled commands',
    sql: `${outboxTableSql(commandOutbox.table)}
          create table saga_command_handled (
            participant text not null,
            command_id text not null,
            attempt int4 not null,
            handled_at timestamptz not null,
            primary key (participant, command_id, attempt)
          );
          create index saga_command_handled_by_time on saga_command_handled (handled_at);`,
  },
];
