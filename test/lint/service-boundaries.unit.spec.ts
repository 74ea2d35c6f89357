import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// Services own their tables (docs/ARCHITECTURE.md): one service reaches another only through its
// public modules, index.ts and the read module queries.ts. These cases lint a line of source as if
// it stood in the given file.
describe("lint keeps services out of each other's internals", () => {
  const eslint = new ESLint();

  async function violations(filePath: string, source: string): Promise<string[]> {
    const [result] = await eslint.lintText(source, { filePath });
    return result!.messages.filter((m) => m.ruleId === 'paystream/service-boundaries').map((m) => m.message);
  }

  it.each([
    [
      "reconciliation importing the ledger's store",
      'src/services/reconciliation/books.ts',
      "import { findAccount } from '../ledger/ledger-store.ts';",
    ],
    [
      "a nested file importing another service's internals",
      'src/services/screening/stage/decisions-table.ts',
      "import type { ScreeningDecisions } from '../../reconciliation/screening-decisions.ts';",
    ],
    [
      "a service importing another's domain folder",
      'src/services/gateway/intake.ts',
      "import { decideReservation } from '../ledger/domain/ledger.ts';",
    ],
    [
      "a service re-exporting another's internals",
      'src/services/rtgs/index.ts',
      "export { ledgerMigrations } from '../ledger/migrations.ts';",
    ],
    [
      "a dynamic import of another's internals",
      'src/services/fraud/handlers.ts',
      "export const cases = () => import('../compliance-cases/cases.ts');",
    ],
  ])('refuses %s', async (_case, filePath, source) => {
    expect(await violations(filePath, `${source}\nexport {};\n`)).toHaveLength(1);
  });

  it.each([
    [
      "a service importing another's index.ts",
      'src/services/fraud/handlers.ts',
      "import { openOrAttachToAccountCase } from '../compliance-cases/index.ts';",
    ],
    [
      "a service importing another's queries.ts",
      'src/services/validation/index.ts',
      "import { customerAccounts } from '../ledger/queries.ts';",
    ],
    [
      'a nested file importing its own service',
      'src/services/screening/stage/lists.ts',
      "import { screenParty } from '../engine/screen.ts';",
    ],
    [
      "a service importing the API's shared conventions",
      'src/services/ledger/routes.ts',
      "import { ProblemError } from '../http/problem.ts';",
    ],
    [
      'a service importing contracts and ports',
      'src/services/rtgs/handlers.ts',
      "import { buildPacs008 } from '../../contracts/iso20022/pacs008.ts';\nimport type { SqlRunner } from '../../backbone/storage/database.ts';",
    ],
    [
      'the composition root importing a service file',
      'src/runtime/service-catalog.ts',
      "import { screeningDecisionsTable } from '../services/screening/stage/index.ts';",
    ],
    [
      "a service's test setting up another's tables",
      'src/services/reconciliation/reconciliation.unit.spec.ts',
      "import { ledgerMigrations } from '../ledger/migrations.ts';",
    ],
  ])('allows %s', async (_case, filePath, source) => {
    expect(await violations(filePath, `${source}\nexport {};\n`)).toEqual([]);
  });
});
