import { afterAll } from 'vitest';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../../../test/support/engines.ts';
import { databaseContract } from '../storage/database.contract.ts';
import { PostgresDatabase } from './postgres-database.ts';

describeWithPostgres('the storage port on a PostgreSQL server', () => {
  let database: TestDatabase | undefined;
  afterAll(async () => database?.drop());
  databaseContract('PostgreSQL server', async () => {
    database = await createTestDatabase('database contract');
    return new PostgresDatabase({ connectionString: database.url, poolSize: 3 });
  });
});
