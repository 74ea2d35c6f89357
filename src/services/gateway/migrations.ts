import type { Migration } from '../../backbone/storage/migrate.ts';

/**
 * The gateway's tables: API keys (hashed), accepted payments with their current status (a
 * projection of the payment events), each payment's timeline, and idempotency records. A payment
 * row, its idempotency record and its `payments.submitted` event are written in one transaction.
 */
export const gatewayMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'api keys, payments, idempotency, timeline',
    sql: `
      create table api_keys (
        key_id text primary key,
        secret_sha256 bytea not null,
        scopes text[] not null,
        label text not null,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      );
      create table payments (
        payment_id text primary key,
        uetr text not null unique,
        correlation_id text not null,
        api_key_id text not null,
        debtor_account text not null,
        amount_minor bigint not null check (amount_minor > 0),
        currency text not null,
        payment_order jsonb not null,
        status text not null,
        status_rank int not null,
        reason_code text,
        reason text,
        received_at timestamptz not null,
        updated_at timestamptz not null default now()
      );
      create index payments_correlation on payments (correlation_id);
      create table payment_idempotency_keys (
        api_key_id text not null,
        idempotency_key text not null,
        request_sha256 text not null,
        payment_id text not null references payments (payment_id) deferrable initially deferred,
        created_at timestamptz not null default now(),
        primary key (api_key_id, idempotency_key)
      );
      create table payment_timeline (
        payment_id text not null,
        event_id text not null,
        event_type text not null,
        topic text not null,
        occurred_at timestamptz not null,
        primary key (payment_id, event_id)
      );
    `,
  },
  {
    id: 2,
    name: 'api keys that expire and are revoked by someone',
    sql: `
      alter table api_keys add column expires_at timestamptz;
      alter table api_keys add column revoked_by text;
      alter table api_keys add column last_used_at timestamptz;
    `,
  },
  {
    id: 3,
    name: 'keys with every scope get the scopes added after them',
    // schemas:read, schemas:write (the schema registry) and keys:admin came after the first keys; a key
    // created with every scope there was (the key printed at the first start) keeps every scope.
    sql: `
      update api_keys set scopes = scopes || array['schemas:read', 'schemas:write', 'keys:admin']
        where scopes @> array['payments:write', 'payments:read', 'accounts:admin', 'ops'] and not scopes && array['schemas:read', 'schemas:write', 'keys:admin'];
    `,
  },
  {
    id: 4,
    name: 'keys with every scope get the order flow scopes',
    // orders:write and orders:read (src/apps/orders) came after the first keys, as the registry's did.
    sql: `
      update api_keys set scopes = scopes || array['orders:write', 'orders:read']
        where scopes @> array['payments:write', 'payments:read', 'accounts:admin', 'ops', 'schemas:read', 'schemas:write', 'keys:admin']
          and not scopes && array['orders:write', 'orders:read'];
      `,
  },
  {
    id: 5,
    name: 'keys with every scope get the loan scopes',
    // loans:write and loans:read came with the loan approval; a key that held every scope before keeps every scope.
    sql: `
      update api_keys set scopes = scopes || array['loans:write', 'loans:read']
        where scopes @> array['payments:write', 'payments:read', 'accounts:admin', 'ops', 'schemas:read', 'schemas:write', 'keys:admin', 'orders:write', 'orders:read']
          and not scopes && array['loans:write', 'loans:read'];
    `,
  },
  {
    id: 6,
    name: 'keys with every scope get the authorization scopes',
    // authorizations:write and authorizations:read came with the payment authorization; a key that held every scope before keeps every scope.
    sql: `
      update api_keys set scopes = scopes || array['authorizations:write', 'authorizations:read']
        where scopes @> array['payments:write', 'payments:read', 'accounts:admin', 'ops', 'schemas:read', 'schemas:write', 'keys:admin', 'orders:write', 'orders:read', 'loans:write', 'loans:read']
          and not scopes && array['authorizations:write', 'authorizations:read'];
    `,
  },
];
