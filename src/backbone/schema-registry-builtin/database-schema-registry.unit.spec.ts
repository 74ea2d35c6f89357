import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../errors.ts';
import { payment, schemaRegistryContract } from '../schema/schema-registry.contract.ts';
import { PgliteDatabase } from '../storage-pglite/index.ts';
import { DatabaseSchemaRegistry } from './database-schema-registry.ts';

schemaRegistryContract('built-in registry on PGlite', async () => {
  const db = await PgliteDatabase.open();
  return { registry: await DatabaseSchemaRegistry.open(db), close: () => db.close() };
});

describe('built-in registry specifics', () => {
  let db: PgliteDatabase;
  let registry: DatabaseSchemaRegistry;

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    registry = await DatabaseSchemaRegistry.open(db);
  });
  afterAll(() => db.close());

  it('gives dense global ids in registration order and defaults to BACKWARD', async () => {
    expect(await registry.getCompatibility()).toBe('BACKWARD');
    expect(await registry.register('ids-value', payment())).toBe(1);
    expect(await registry.register('ids-value', payment([{ name: 'n', type: 'int', default: 0 }]))).toBe(2);
  });

  it('a subject mode overrides the global one; the global one can change', async () => {
    await registry.setCompatibility('FULL');
    expect(await registry.getCompatibility('anything')).toBe('FULL');
    await registry.setCompatibility('FORWARD', 'mode-value');
    expect(await registry.getCompatibility('mode-value')).toBe('FORWARD');
    expect(await registry.getSubjectCompatibility('other-value')).toBeUndefined();
    await registry.setCompatibility('BACKWARD');
  });

  it('soft-deletes versions: the id stays readable, the next version number is not reused', async () => {
    const id = await registry.register('deleted-value', payment());
    expect(await registry.deleteVersions('deleted-value', 1)).toEqual([1]);
    await expect(registry.listVersions('deleted-value')).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_NOT_FOUND });
    expect(await registry.listSubjects()).not.toContain('deleted-value');
    expect(await registry.getById(id)).toBe(payment());
    expect(await registry.register('deleted-value', payment())).toBe(id);
    expect(await registry.listVersions('deleted-value')).toEqual([2]);
    expect(await registry.versionsOfId(id)).toContainEqual({ subject: 'deleted-value', version: 2 });
  });

  it('checks only live versions', async () => {
    await registry.register('revived-value', payment());
    await registry.deleteVersions('revived-value');
    // Incompatible with the deleted version 1, but nothing live is left to break.
    expect(await registry.register('revived-value', JSON.stringify({ type: 'string' }))).toBeGreaterThan(0);
  });
});
