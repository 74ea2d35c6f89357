import type { Migration } from '../storage/migrate.ts';

/**
 * The event log in tables. `log_partitions.next_offset` is both the high watermark and the
 * per-partition lock: an append takes its offsets with `update ... returning`, which holds the
 * row lock until the appending transaction commits, so a later append cannot commit first and
 * offsets become visible in order (a reader going by offset never skips a late commit).
 */
export const eventLogMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'event log tables',
    sql: `
      create table log_topics (
        topic text primary key,
        partitions int not null check (partitions > 0),
        configs jsonb not null default '{}'::jsonb,
        created_at timestamptz not null default now()
      );
      create table log_partitions (
        topic text not null references log_topics (topic),
        partition int not null,
        next_offset bigint not null default 0,
        primary key (topic, partition)
      );
      create table log_records (
        topic text not null,
        partition int not null,
        "offset" bigint not null,
        key bytea,
        value bytea,
        headers jsonb not null default '{}'::jsonb,
        appended_at timestamptz not null default now(),
        primary key (topic, partition, "offset")
      );
      create table log_group_offsets (
        group_id text not null,
        topic text not null,
        partition int not null,
        next_offset bigint not null,
        committed_at timestamptz not null default now(),
        primary key (group_id, topic, partition)
      );
    `,
  },
];

/** The NOTIFY channel an append signals on, with the topic as payload. */
export const appendChannel = 'paystream_log_append';
