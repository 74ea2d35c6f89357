import type { Migration } from '../storage/migrate.ts';

/**
 * The built-in registry's tables (migration scope `schema-registry`).
 *
 * Schemas are stored once, by canonical text, with a global id; a subject's versions point at them,
 * so one schema registered under two subjects keeps one id, as in Confluent's registry. Versions
 * are soft-deleted (`deleted_at`) so that an id stays readable after its version is deleted:
 * consumers still hold records written with it.
 */
export const schemaRegistryMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'schema registry tables',
    sql: `
      create table schema_registry_schemas (
        id int primary key,
        -- sha-256 of the canonical text: schema texts can exceed what a btree index entry holds.
        schema_hash text not null unique,
        schema_text text not null,
        created_at timestamptz not null default now()
      );
      create table schema_registry_versions (
        subject text not null,
        version int not null check (version > 0),
        schema_id int not null references schema_registry_schemas (id),
        registered_at timestamptz not null default now(),
        deleted_at timestamptz,
        primary key (subject, version)
      );
      -- One live version per schema in a subject: registering it again returns that version.
      create unique index schema_registry_versions_live_schema
        on schema_registry_versions (subject, schema_id) where deleted_at is null;
      create index schema_registry_versions_by_schema on schema_registry_versions (schema_id);
      create table schema_registry_config (
        -- '' is the global row: a subject name is never empty.
        subject text primary key,
        compatibility text not null,
        updated_at timestamptz not null default now()
      );
    `,
  },
];
