import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Migration } from '../../src/backbone/storage/migrate.ts';
import { auditMigrations } from '../../src/services/audit/index.ts';
import { complianceCaseMigrations } from '../../src/services/compliance-cases/index.ts';
import { fraudMigrations } from '../../src/services/fraud/index.ts';
import { gatewayMigrations } from '../../src/services/gateway/index.ts';
import { ledgerMigrations } from '../../src/services/ledger/index.ts';
import { loanMigrations } from '../../src/services/loans/index.ts';
import { notificationsMigrations } from '../../src/services/notifications/index.ts';
import { reconciliationMigrations } from '../../src/services/reconciliation/index.ts';
import { rtgsMigrations } from '../../src/services/rtgs/index.ts';
import { screeningDecisionMigrations } from '../../src/services/screening/stage/index.ts';

// Services own their tables (docs/ARCHITECTURE.md, "ADR: each table has one owning service"): a
// table belongs to the service whose migrations create it, and only that service's code names it
// in SQL. Another service reads it through the owner's queries.ts or index.ts, which lint holds
// it to (test/lint/service-boundaries.unit.spec.ts); this test holds the SQL itself.

const repo = join(import.meta.dirname, '../..');
const servicesDir = join(repo, 'src/services');

/** Each service folder's migrations, as its service runs them; `validation` has no table. */
const migrationsByService: Record<string, readonly Migration[]> = {
  audit: auditMigrations,
  'compliance-cases': complianceCaseMigrations,
  fraud: fraudMigrations,
  gateway: gatewayMigrations,
  ledger: ledgerMigrations,
  loans: loanMigrations,
  notifications: notificationsMigrations,
  reconciliation: reconciliationMigrations,
  rtgs: rtgsMigrations,
  screening: screeningDecisionMigrations,
  validation: [],
  // The authorization service has no tables yet: its first step is pure (docs/authorization.md).
  authorization: [],
};
/** Folders of src/services that are not services: the API's shared conventions. */
const sharedFolders = new Set(['http']);

describe('each table has one owning service, and only it names the table in SQL', () => {
  const owners = tableOwners(migrationsByService);

  it('knows the migrations of every service folder, so a new service cannot go unchecked', () => {
    const serviceFolders = readdirSync(servicesDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !sharedFolders.has(entry.name))
      .map((entry) => entry.name);
    expect(serviceFolders.sort()).toEqual(Object.keys(migrationsByService).sort());
  });

  it('derives an owner for the tables the flow depends on from the migrations', () => {
    // A guard on the derivation itself: if the pattern stopped matching, every check below would pass vacuously.
    expect(
      Object.fromEntries(
        ['ledger_accounts', 'payments', 'rtgs_submissions', 'screening_decisions', 'compliance_cases'].map((table) => [
          table,
          owners.get(table),
        ]),
      ),
    ).toEqual({
      ledger_accounts: 'ledger',
      payments: 'gateway',
      rtgs_submissions: 'rtgs',
      screening_decisions: 'screening',
      compliance_cases: 'compliance-cases',
    });
  });

  it.each(Object.keys(migrationsByService))('%s names only its own tables in SQL', (service) => {
    expect(foreignTableReferences(join(servicesDir, service), service, owners)).toEqual([]);
  });

  it.each(['src/runtime', 'src/cli'])('%s names no service table in SQL: it goes through the owning service', (folder) => {
    expect(foreignTableReferences(join(repo, folder), undefined, owners)).toEqual([]);
  });
});

/** table → the service whose migrations create it; a table created by two services fails here. */
function tableOwners(migrations: Record<string, readonly Migration[]>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [service, list] of Object.entries(migrations)) {
    for (const migration of list) {
      for (const [, table] of migration.sql.matchAll(/\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*)/gi)) {
        const owner = owners.get(table!.toLowerCase());
        if (owner && owner !== service) throw new Error(`table ${table} is created by both ${owner} and ${service}`);
        owners.set(table!.toLowerCase(), service);
      }
    }
  }
  return owners;
}

/**
 * Every place in `folder`'s source (tests aside: they set up other services' tables on purpose)
 * where SQL names a table owned by a service other than `service`, as `file: table (owner)`.
 */
function foreignTableReferences(folder: string, service: string | undefined, owners: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(folder)) {
    const text = readFileSync(file, 'utf8');
    for (const [, table] of text.matchAll(/\b(?:from|join|into|update|table|references|truncate)\s+([a-z_][a-z0-9_]*)/gi)) {
      const owner = owners.get(table!.toLowerCase());
      if (owner && owner !== service) found.push(`${relative(repo, file)}: ${table} (${owner})`);
    }
  }
  return [...new Set(found)];
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !/\.(spec|fixture)\.ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}
