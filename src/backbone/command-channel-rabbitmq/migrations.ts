import type { Migration } from '../storage/migrate.ts';
import { outboxTableSql, type OutboxTable } from '../outbox/index.ts';

/** The outbox of commands bound for RabbitMQ, apart from the event bus's outbox and with a relay of its own. */
export const commandOutbox: OutboxTable = {
  table: 'saga_command_outbox',
  channel: 'paystream_saga_command_outbox',
  lockName: 'saga-command-relay',
};

/**
 * The channel's tables: its outbox (the event bus outbox's shape), and the command messages each
 * participant has handled, by event id: the id of one send, which a redelivery by the broker and a
 * relay's re-send after a crash keep. A re-send by the orchestrator (after a deadline, or an
 * operator's retry of a STUCK saga, which counts attempts from 1 again) is a new message and
 * reaches the handler, which deduplicates on the command id itself. The command id and attempt are
 * kept for operators.
 */
export const rabbitCommandChannelMigrations: Migration[] = [
  {
    id: 1,
    name: 'saga command outbox and the handled commands',
    sql: `${outboxTableSql(commandOutbox.table)}
          create table saga_command_handled (
            participant text not null,
            event_id text not null,
            command_id text not null,
            attempt int4 not null,
            handled_at timestamptz not null,
            primary key (participant, event_id)
          );
          create index saga_command_handled_by_time on saga_command_handled (handled_at);`,
  },
];
