import type { Migration } from '../storage/migrate.ts';

/**
 * The orchestrator's tables: one row per saga instance (its folded state, as JSON with exact
 * bigints), its history (every fact with the time it was recorded), and at most one armed timer
 * per instance (the deadline of the command it waits for, or the end of a compensation's backoff),
 * in milliseconds of the injected clock.
 */
export const sagaMigrations: Migration[] = [
  {
    id: 1,
    name: 'saga instances, history and timers',
    sql: `create table saga_instances (
            saga_id text primary key,
            saga_type text not null,
            status text not null,
            state text not null,
            command_sent_at_ms int8,
            created_at timestamptz not null,
            updated_at timestamptz not null
          );
          create index saga_instances_by_status on saga_instances (saga_type, status);
          create table saga_history (
            saga_id text not null references saga_instances (saga_id),
            seq int4 not null,
            event_type text not null,
            step int4,
            name text,
            attempt int4,
            detail text,
            recorded_at timestamptz not null,
            primary key (saga_id, seq)
          );
          create table saga_timers (
            saga_id text primary key references saga_instances (saga_id),
            command_id text not null,
            attempt int4 not null,
            due_at_ms int8 not null
          );
          create index saga_timers_due on saga_timers (due_at_ms);`,
  },
];
