import type { Database } from './database.ts';

/** One schema change, applied once per database, in order of `id` within its `scope`. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/**
 * Applies the migrations of `scope` that the database has not seen yet, each in its own
 * transaction. Concurrent callers (several processes starting at once) are serialised by an
 * advisory transaction lock, so every migration runs exactly once.
 */
export async function migrate(db: Database, scope: string, migrations: readonly Migration[]): Promise<void> {
  await db.query(`create table if not exists schema_migrations (
    scope text not null, id int not null, name text not null,
    applied_at timestamptz not null default now(), primary key (scope, id))`);
  const ordered = [...migrations].sort((a, b) => a.id - b.id);
  for (const migration of ordered) {
    await db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('schema_migrations'))`);
      const seen = await tx.query(`select 1 from schema_migrations where scope = $1 and id = $2`, [scope, migration.id]);
      if (seen.rows.length > 0) return;
      await tx.exec(migration.sql);
      await tx.query(`insert into schema_migrations (scope, id, name) values ($1, $2, $3)`, [scope, migration.id, migration.name]);
    });
  }
}
