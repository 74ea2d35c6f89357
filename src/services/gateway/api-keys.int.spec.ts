import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../../backbone/clock/clock.ts';
import { PostgresDatabase } from '../../backbone/storage-postgres/index.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../../../test/support/engines.ts';
import { ApiKeys, apiKeyCacheTtlMsDefault, gatewayMigrations } from './index.ts';

describeWithPostgres('API key revocation across processes (PostgreSQL)', () => {
  let database: TestDatabase;
  // Two pools and two ApiKeys, as two platform processes sharing the database have.
  let first: PostgresDatabase;
  let second: PostgresDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('api_keys');
    first = new PostgresDatabase({ connectionString: database.url, poolSize: 2 });
    second = new PostgresDatabase({ connectionString: database.url, poolSize: 2 });
    await migrate(first, 'gateway', gatewayMigrations);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  it('a key revoked on one process is refused by the other within the cache time, not 30 s later', async () => {
    const revoking = new ApiKeys(first, systemClock);
    const other = new ApiKeys(second, systemClock);
    const created = await revoking.create('payments job', ['payments:write']);
    // The other process has just verified (and cached) the key.
    expect(await other.verify(created.key)).toMatchObject({ keyId: created.keyId });

    await revoking.revoke(created.keyId, 'env');
    const revokedAtMs = Date.now();
    expect(await revoking.verify(created.key)).toBeUndefined();
    // Polled with a deadline well past the documented bound (apiKeyCacheTtlMsDefault, 2 s) and
    // well before the 30 s the cache used to keep a key.
    const deadlineMs = revokedAtMs + 10_000;
    let refusedAfterMs: number | undefined;
    while (Date.now() < deadlineMs) {
      if ((await other.verify(created.key)) === undefined) {
        refusedAfterMs = Date.now() - revokedAtMs;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(refusedAfterMs, 'the other process still accepted the revoked key after 10 s').toBeDefined();
    expect(apiKeyCacheTtlMsDefault).toBeLessThanOrEqual(5_000);
  });
});
