import type { Migration } from '../storage/migrate.ts';

/** Every replay an operator ran, and which dead letters it sent back. */
export const deadLetterMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'dead-letter replays',
    sql: `
      create table dlq_replays (
        replay_id text primary key,
        operator text not null,
        reason text not null,
        dead_letter_topic text not null,
        target_consumer text not null,
        filter jsonb not null,
        letters int not null,
        replayed_at timestamptz not null default now()
      );
      create table dlq_replayed_letters (
        dead_letter_topic text not null,
        partition int not null,
        "offset" bigint not null,
        replay_id text not null references dlq_replays (replay_id),
        primary key (dead_letter_topic, partition, "offset")
      );
    `,
  },
];
