import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every service folder has the same anatomy (docs/ARCHITECTURE.md, "A service folder"), so a
// reader finds any service's entry point, tables and handlers at once.

const repo = join(import.meta.dirname, '../..');
const servicesDir = join(repo, 'src/services');
/** Folders of src/services that are not services: the API's shared conventions. */
const sharedFolders = new Set(['http']);
/**
 * Where a service keeps a part of the anatomy elsewhere, and why. Anything not listed here must
 * follow the anatomy; a new exception needs a reason a reviewer accepts.
 */
const exceptions: Record<string, { migrations?: string; handlers?: string }> = {
  // Screening is three concepts (the lists, the matching engine, the stage that decides on a
  // payment); its one table and its handler belong to the stage.
  screening: { migrations: 'stage/decisions-table.ts', handlers: 'stage/handlers.ts' },
  // Validation is one pure decision and its handler: small enough to be its index.ts.
  validation: { handlers: 'index.ts' },
  // The audit trail's handler stages every event for the chainer; it lives beside the service's
  // assembly in audit-service.ts (to be split out to handlers.ts).
  audit: { handlers: 'audit-service.ts' },
};

const serviceFolders = readdirSync(servicesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !sharedFolders.has(entry.name))
  .map((entry) => entry.name);

describe('every service folder has the same anatomy', () => {
  it.each(serviceFolders)('%s has an index.ts, its migrations in migrations.ts and its event handlers in handlers.ts', (service) => {
    const dir = join(servicesDir, service);
    const files = sourceFiles(dir).map((file) => relative(dir, file));
    expect(files).toContain('index.ts');
    const migrationFiles = files.filter((file) => /export const \w+: readonly Migration\[\]/.test(readFileSync(join(dir, file), 'utf8')));
    expect(migrationFiles).toEqual(migrationFiles.length === 0 ? [] : [exceptions[service]?.migrations ?? 'migrations.ts']);
    const handlerFiles = files.filter((file) => definesHandlers(readFileSync(join(dir, file), 'utf8')));
    expect(handlerFiles).toEqual(handlerFiles.length === 0 ? [] : [exceptions[service]?.handlers ?? 'handlers.ts']);
  });

  it('recognises the files that define event handlers', () => {
    // A guard on the pattern itself: if it stopped matching, the handler check would pass vacuously.
    expect(definesHandlers(readFileSync(join(servicesDir, 'ledger/handlers.ts'), 'utf8'))).toBe(true);
    expect(definesHandlers(readFileSync(join(servicesDir, 'ledger/routes.ts'), 'utf8'))).toBe(false);
  });

  it('keeps test-only files (fixtures, fakes) out of src/, in test/support/', () => {
    const testOnly = sourceFiles(join(repo, 'src')).filter((file) => /\.(fixture|fake)\.ts$/.test(file));
    expect(testOnly.map((file) => relative(repo, file))).toEqual([]);
  });
});

/** Whether a file builds consumer handlers: it imports the handler types from the consumer port. */
function definesHandlers(source: string): boolean {
  return /import [^;]*\b(BatchEventHandler|EventHandler|perEvent)\b[^;]*from '[./]+backbone\/consumer\/[\w-]+\.ts'/.test(source);
}

/** The production .ts files under `dir`, recursively (specs and test suites excluded). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      (entry) =>
        entry.isFile() && entry.name.endsWith('.ts') && !/\.(spec|suite|contract)\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts'),
    )
    .map((entry) => join(entry.parentPath, entry.name));
}
