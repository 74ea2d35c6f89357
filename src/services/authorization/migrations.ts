import type { Migration } from '../../backbone/storage/migrate.ts';

/**
 * The authorization service's tables (its processor's state and timers are the backbone's
 * `stream_*` tables, src/backbone/stream/migrations.ts):
 * - `authorization_requests`: each request the route accepted (so GET answers PENDING before the
 *   decision, and an override finds the account's partition);
 * - `authorization_decisions`: the projection of the processor's decisions (version 1, and 2 for
 *   an override, with who and why), written in the processor's batch transaction;
 * - `authorization_overrides`: each override asked through the route, with who and why, and its
 *   outcome once the processor decided it (APPROVED, or the refusal).
 */
export const authorizationMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'authorization requests, decisions and overrides',
    sql: `
      create table authorization_requests (
        authorization_id text primary key,
        account_id text not null,
        amount_minor int8 not null,
        currency text not null,
        received_at_ms int8 not null
      );
      create table authorization_decisions (
        authorization_id text not null,
        decision_version int4 not null,
        account_id text not null,
        decision text not null,
        basis text not null,
        reason text,
        state_version int8,
        decided_at_ms int8 not null,
        overridden_by text,
        override_reason text,
        primary key (authorization_id, decision_version)
      );
      create table authorization_overrides (
        override_id text primary key,
        authorization_id text not null,
        account_id text not null,
        requested_by text not null,
        reason text not null,
        requested_at_ms int8 not null,
        outcome text,
        refusal text,
        decided_at_ms int8
      );
      create index authorization_overrides_by_authorization on authorization_overrides (authorization_id);`,
  },
];
