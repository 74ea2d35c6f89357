import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPostgres, postgresUrl } from '../../../test/support/engines.ts';
import { PostgresDatabase } from './postgres-database.ts';
import { readVacuumSettings } from './vacuum-settings.ts';

describeWithPostgres('vacuum settings of a PostgreSQL server', () => {
  let db: PostgresDatabase;
  beforeAll(() => {
    db = new PostgresDatabase({ connectionString: postgresUrl(), poolSize: 1 });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('reads the settings the server runs with', async () => {
    const shown = async (name: string) => (await db.query<Record<string, string>>(`show ${name}`)).rows[0]![name]!;
    const settings = await readVacuumSettings(db);
    expect(settings).toEqual({ autovacuum: await shown('autovacuum'), trackCounts: await shown('track_counts') });
    expect(['on', 'off']).toContain(settings.autovacuum);
  });
});
