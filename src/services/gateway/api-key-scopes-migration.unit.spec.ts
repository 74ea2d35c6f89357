import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../backbone/clock/index.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { PgliteDatabase } from '../../backbone/storage-pglite/index.ts';
import { ApiKeys } from './api-keys.ts';
import { gatewayMigrations } from './migrations.ts';

// Scopes added after keys exist (schemas:read, schemas:write, keys:admin; then orders:write, orders:read; then loans:write,
// loans:read; then authorizations:write, authorizations:read): a key that held every scope keeps every scope; others do not gain any.

describe('API keys across the scopes added later (migrations 3 to 6)', () => {
  let db: PgliteDatabase;
  beforeAll(async () => {
    db = await PgliteDatabase.open();
  });
  afterAll(async () => db?.close());

  it('gives schemas:read, schemas:write, keys:admin and the order scopes to the keys that had every scope before, and to no other', async () => {
    await migrate(
      db,
      'gateway',
      gatewayMigrations.filter((migration) => migration.id <= 2),
    );
    const before = new ApiKeys(db, systemClock, { cacheTtlMs: 0 });
    const everything = await before.create('first start', ['payments:write', 'payments:read', 'accounts:admin', 'ops']);
    const reader = await before.create('reader', ['payments:read']);

    await migrate(
      db,
      'gateway',
      gatewayMigrations.filter((migration) => migration.id <= 4),
    );

    const after = new ApiKeys(db, systemClock, { cacheTtlMs: 0 });
    expect([...(await after.verify(everything.key))!.scopes].sort()).toEqual([
      'accounts:admin',
      'keys:admin',
      'ops',
      'orders:read',
      'orders:write',
      'payments:read',
      'payments:write',
      'schemas:read',
      'schemas:write',
    ]);
    expect([...(await after.verify(reader.key))!.scopes]).toEqual(['payments:read']);
  });

  it('gives loans:write and loans:read (migration 5) to the keys that had every scope before, and to no other', async () => {
    const before = new ApiKeys(db, systemClock, { cacheTtlMs: 0 });
    const everything = await before.create('all before loans', [
      'payments:write',
      'payments:read',
      'accounts:admin',
      'ops',
      'schemas:read',
      'schemas:write',
      'keys:admin',
      'orders:write',
      'orders:read',
    ]);
    const payer = await before.create('payer', ['payments:write']);

    await migrate(
      db,
      'gateway',
      gatewayMigrations.filter((migration) => migration.id <= 5),
    );

    const after = new ApiKeys(db, systemClock, { cacheTtlMs: 0 });
    expect([...(await after.verify(everything.key))!.scopes]).toEqual(expect.arrayContaining(['loans:write', 'loans:read']));
    expect([...(await after.verify(payer.key))!.scopes]).toEqual(['payments:write']);
  });

  it('gives authorizations:write and authorizations:read (migration 6) to the keys that had every scope before, and to no other', async () => {
    const before = new ApiKeys(db, systemClock, { cacheTtlMs: 0 });
    const everything = await before.create('all before authorizations', [
      'payments:write',
      'payments:read',
      'accounts:admin',
      'ops',
      'schemas:read',
      'schemas:write',
      'keys:admin',
      'orders:write',
      'orders:read',
      'loans:write',
      'loans:read',
    ]);
    const lender = await before.create('lender', ['loans:write', 'loans:read']);

    await migrate(db, 'gateway', gatewayMigrations);

    const after = new ApiKeys(db, systemClock, { cacheTtlMs: 0 });
    expect([...(await after.verify(everything.key))!.scopes]).toEqual(
      expect.arrayContaining(['authorizations:write', 'authorizations:read']),
    );
    expect([...(await after.verify(everything.key))!.scopes]).toHaveLength(13);
    expect([...(await after.verify(lender.key))!.scopes].sort()).toEqual(['loans:read', 'loans:write']);
  });
});
