import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../../../test/support/engines.ts';
import { payment, schemaRegistryContract } from '../schema/schema-registry.contract.ts';
import { PostgresDatabase } from '../storage-postgres/index.ts';
import { DatabaseSchemaRegistry } from './database-schema-registry.ts';

describeWithPostgres('built-in registry on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('schema_registry');
  });
  afterAll(() => database?.drop());

  schemaRegistryContract('built-in registry on PostgreSQL', async () => {
    const db = new PostgresDatabase({ connectionString: database.url });
    return { registry: await DatabaseSchemaRegistry.open(db), close: () => db.close() };
  });

  it('registers concurrently from two processes: one id per schema, one version per schema, no gaps', async () => {
    // Two pools stand for two processes; each opens (and migrates) the registry at the same time.
    const dbs = [0, 1].map(() => new PostgresDatabase({ connectionString: database.url, poolSize: 8 }));
    try {
      const registries = await Promise.all(dbs.map((db) => DatabaseSchemaRegistry.open(db)));
      const schemas = Array.from({ length: 6 }, (_, i) => payment([{ name: `f${i}`, type: 'int', default: i }]));
      const attempts = schemas.flatMap((schema) =>
        [0, 1, 2, 3].map((n) => ({ schema, registry: registries[n % 2] as DatabaseSchemaRegistry })),
      );
      const ids = await Promise.all(attempts.map(({ schema, registry }) => registry.register('race-value', schema)));
      for (const [i, schema] of schemas.entries()) {
        const idsOfSchema = new Set(ids.filter((_, n) => attempts[n]?.schema === schema));
        expect(idsOfSchema.size, `schema ${i}`).toBe(1);
      }
      expect(new Set(ids).size).toBe(schemas.length);
      expect(await registries[0]?.listVersions('race-value')).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});
