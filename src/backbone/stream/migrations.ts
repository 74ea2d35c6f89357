import type { Migration } from '../storage/migrate.ts';

/**
 * What a live stream processor keeps in its consumer's database, written in the batch's
 * transaction with its outputs (outbox) and the consumer's positions:
 * - stream_partitions: one row per (processor, partition), locked by every batch and timer round
 *   of that partition (two instances never run one partition at once); it holds the task's
 *   processing time, watermark, next timer sequence and the partition-scoped stores (JSON);
 * - stream_state: the keyed stores, one row per (processor, store, partition, key), the value as
 *   JSON text written by the store's codec (bigints as strings);
 * - stream_timers: the armed timers, per (processor, partition, key, name); `due_ms` is
 *   processing-time ms for a deadline and event-time ms for an event-time timer.
 */
export const streamMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'stream processor partitions, state and timers',
    sql: `
      create table stream_partitions (
        processor text not null,
        partition int4 not null,
        now_ms int8,
        watermark_ms int8,
        next_sequence int8 not null default 0,
        partition_state text not null default '{}',
        primary key (processor, partition)
      );
      create table stream_state (
        processor text not null,
        store text not null,
        partition int4 not null,
        key text not null,
        value text not null,
        primary key (processor, store, partition, key)
      );
      create table stream_timers (
        processor text not null,
        partition int4 not null,
        key text not null,
        name text not null,
        domain text not null check (domain in ('processing-time', 'event-time')),
        due_ms int8 not null,
        sequence int8 not null,
        primary key (processor, partition, key, name)
      );
      create index stream_timers_due on stream_timers (processor, domain, due_ms);`,
  },
];
