import type { Migration } from '../storage/migrate.ts';

/**
 * What a consumer keeps in its own database, written in the same transaction as its effects:
 * - consumer_positions: the next offset per (consumer, topic, partition), the source of truth
 *   for where to resume; the bus's own committed offsets follow it for lag tools;
 * - consumer_processed_events: event ids already applied, to drop duplicates published upstream;
 * - consumer_parked_keys / consumer_parked_events: keys whose earliest event is in a retry tier
 *   (non-blocking retry), and the later events of those keys waiting behind it.
 */
export const consumerMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'consumer state',
    sql: `
      create table consumer_positions (
        consumer text not null,
        topic text not null,
        partition int not null,
        next_offset bigint not null,
        updated_at timestamptz not null default now(),
        primary key (consumer, topic, partition)
      );
      create table consumer_processed_events (
        consumer text not null,
        event_id text not null,
        processed_at timestamptz not null default now(),
        primary key (consumer, event_id)
      );
      create index consumer_processed_events_age on consumer_processed_events (processed_at);
      create table consumer_parked_keys (
        consumer text not null,
        topic text not null,
        key bytea not null,
        parked_at timestamptz not null default now(),
        primary key (consumer, topic, key)
      );
      create table consumer_parked_events (
        id bigserial primary key,
        consumer text not null,
        topic text not null,
        key bytea not null,
        value bytea,
        headers jsonb not null,
        source_partition int not null,
        source_offset bigint not null,
        parked_at timestamptz not null default now()
      );
      create index consumer_parked_events_key on consumer_parked_events (consumer, topic, key, id);
    `,
  },
];
