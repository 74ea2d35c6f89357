import { composeIBAN } from 'ibantools';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasKafka, hasPostgres } from '../support/engines.ts';
import { startTestPlatform, type Engine, type JsonBody, type TestPlatform } from '../support/platform-fixture.ts';

// A payroll run, the case the fraud rules must not turn into hundreds of cases: 400 payments from
// one new corporate account to 400 employees at another bank, on the production fraud rules. The
// burst is far above a new account's minimum, so it is held, in one case for the account; the
// officer releases it with one decision and all 400 complete. On both engines.
const engines: { engine: Engine; available: boolean; reason: string }[] = [
  { engine: 'embedded', available: true, reason: '' },
  {
    engine: 'kafka',
    available: hasKafka() && hasPostgres(),
    reason: 'needs Kafka and PostgreSQL (REQUIRE_KAFKA/REQUIRE_POSTGRES make CI fail instead)',
  },
];

const employees = 400;
/** Below the Travel Rule's EUR 1,000, so the employees' addresses are not needed. */
const salary = '850.00';
const deadlineMs = 180_000;

for (const { engine, available, reason } of engines) {
  describe.skipIf(!available)(`a payroll run on ${engine}${available ? '' : ` (skipped: ${reason})`}`, () => {
    let ps: TestPlatform;
    beforeAll(async () => {
      // `fraud: {}`: the production fraud rules (the shared fixture relaxes velocity).
      ps = await startTestPlatform(engine, { tuning: { fraud: {} } });
    }, 180_000);
    afterAll(async () => ps?.close(), 60_000);
    afterEach(async () => ps.assertInvariants());

    it(
      `holds ${employees} payments from one account in no more than one case, released by one decision`,
      async () => {
        const employer = await ps.openAccount('Acme Payroll GmbH', { deposit: '400000.00' });
        const paymentIds: string[] = [];
        for (let index = 1; index <= employees; index++) {
          const { paymentId } = await ps.pay(employer, {
            amount: salary,
            debtor: { name: 'Acme Payroll GmbH', account: employer },
            creditor: employee(index),
            remittanceInformation: 'Salary November 2026',
          });
          paymentIds.push(paymentId);
        }
        const db = ps.platform.backbone.db;
        await eventually(
          async () =>
            (await count(ps, `select count(*)::int8 as count from fraud_scores where debtor_account = $1`, [employer])) ===
            BigInt(employees),
          `${employees} payments scored`,
        );

        const cases = (await db.query<{ case_id: string }>(`select case_id from compliance_cases where debtor_account = $1`, [employer]))
          .rows;
        expect(cases.length).toBeLessThanOrEqual(1);
        const held = await count(ps, `select count(*)::int8 as count from fraud_scores where debtor_account = $1 and decision = 'REVIEW'`, [
          employer,
        ]);
        // The production rules hold this burst (a new account: more than 20 in ten minutes).
        expect(cases).toHaveLength(1);
        expect(held).toBeGreaterThan(0n);
        const listed = (await ps.api('GET', '/v1/compliance/cases?status=open')).body.cases.find(
          (item: JsonBody) => item.caseId === cases[0]!.case_id,
        );
        expect(1 + listed.attachedPayments.length).toBe(Number(held));

        const decided = await ps.api('POST', `/v1/compliance/cases/${cases[0]!.case_id}/decision`, {
          decision: 'approve',
          reason: 'payroll run confirmed with the customer by phone',
        });
        expect(decided.status, JSON.stringify(decided.body)).toBe(200);
        await eventually(
          async () =>
            (await count(ps, `select count(*)::int8 as count from payments where debtor_account = $1 and status = 'COMPLETED'`, [
              employer,
            ])) === BigInt(employees),
          `all ${employees} payments COMPLETED`,
        );
        expect(await ps.account(employer)).toMatchObject({ balance: '60000.00', reserved: '0.00' });
        expect(paymentIds).toHaveLength(employees);
      },
      deadlineMs + 60_000,
    );
  });
}

/** Employee `index`'s account at a German bank: a valid IBAN of its own for each. */
function employee(index: number) {
  const account = composeIBAN({ countryCode: 'DE', bban: `37040044${String(index).padStart(10, '0')}` });
  if (account === null) throw new Error(`no IBAN for employee ${index}`);
  return { name: `Employee ${String(index).padStart(3, '0')} Example`, account, agent: 'COBADEFFXXX', country: 'DE' };
}

async function count(ps: TestPlatform, sql: string, parameters: unknown[]): Promise<bigint> {
  return BigInt((await ps.platform.backbone.db.query<{ count: bigint | string }>(sql, parameters)).rows[0]!.count);
}

async function eventually(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
