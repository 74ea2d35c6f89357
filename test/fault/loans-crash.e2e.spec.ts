/**
 * Kill -9 of the loan approval saga at every step and compensation, with real processes (the
 * orchestrator and the participants in `loan-saga-process.ts`) on PostgreSQL and its table log, and
 * on Kafka (with the outbox relay's crash point too) at the consumers' and relay's points and a
 * step and a compensation of each participant: a kill there costs a group rebalance (~6-10 s), so
 * every one of the 16 points on Kafka would take some ten minutes.
 * For each crash point a load of applications of every kind (approved, a listed applicant, a debt
 * ratio too high, an exposure over the limit, a disbursement refused: every compensation runs) is
 * started, the process is killed there, a few times, and started again without a crash. Then every
 * saga ended APPROVED or REJECTED as its kind demands, and the invariants hold (no disbursement
 * without APPROVED, every hold posted or released once, exposure equal to the approved loans, no
 * compensation twice, the ledger balanced).
 */
import type { ChildProcess } from 'node:child_process';
import { exitOf, startChild } from './child-processes.ts';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import { eventually } from '../../src/backbone/testing/embedded-fixture.ts';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, hasKafka, hasPostgres, kafkaBrokers } from '../support/engines.ts';
import { assertLoanInvariants } from '../support/loan-invariants.ts';
import { loanCrashDefinition, prepareLoanDatabase, startLoans, type LoanCrashEngine } from './loan-saga-setup.ts';

const processScript = join(import.meta.dirname, 'loan-saga-process.ts');
const loansPerPoint = 20;
const crashesPerPoint = 2;
const names = loanCrashDefinition.steps.flatMap((step) => [step.name, ...(step.compensation ? [step.compensation] : [])]);
const points = ['consumer.after-commit', ...names.map((name) => `participant:${name}`), ...names.map((name) => `transition:${name}`)];
const expectedStatus: Record<string, string> = {
  approved: 'APPROVED',
  listed: 'REJECTED',
  'debt-ratio': 'REJECTED',
  exposure: 'REJECTED',
  'disbursement-refused': 'REJECTED',
};

const kafkaPoints = [
  'consumer.after-commit',
  'relay.after-publish',
  'participant:KYC_CHECK',
  'participant:APPROVED',
  'participant:REVERT_RISK',
  'transition:RELEASE_RESERVATIONS',
];

describe.each([
  { engine: 'postgres' as const, available: hasPostgres(), points },
  { engine: 'kafka' as const, available: hasPostgres() && hasKafka(), points: kafkaPoints },
])('kill -9 of the loan approval at every step and compensation ($engine)', ({ engine: engineKind, available, points: enginePoints }) => {
  const children = new Set<ChildProcess>();
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  const engineOf = (): LoanCrashEngine =>
    engineKind === 'kafka'
      ? { kind: 'kafka', brokers: kafkaBrokers(), namespace: `loancrash-${randomBytes(4).toString('hex')}` }
      : { kind: 'postgres' };
  let engine: LoanCrashEngine = { kind: 'postgres' };

  it.skipIf(!available).for(enginePoints)(
    'kill -9 at %s: every saga ends as its kind demands, the invariants hold',
    { timeout: 180_000 },
    async (point) => {
      engine = engineOf();
      // A database of its own per point: the invariants are checked over everything in it.
      const pointDatabase = await createTestDatabase('loancrash');
      const db = new PostgresDatabase({ connectionString: pointDatabase.url, poolSize: 4, applicationName: 'loan-crash-test' });
      try {
        await prepareLoanDatabase(db, engine);
        const kinds = await startLoans(db, loansPerPoint, engine);
        let crashed = 0;
        for (let crash = 0; crash < crashesPerPoint; crash += 1) {
          const child = await startProcess(pointDatabase.url, { point, after: 1 + Math.floor(Math.random() * 2) });
          const ended = await exitOf(child, 30_000);
          if (ended === 'SIGKILL') crashed += 1;
          else if (ended === 'timeout') child.kill('SIGKILL');
        }
        expect(crashed, `the process should have crashed at ${point}`).toBeGreaterThan(0);
        const survivor = await startProcess(pointDatabase.url, undefined);
        await eventually(
          async () => {
            const open = await db.query<{ count: bigint }>(
              `select count(*)::int8 as count from saga_instances where status not in ('COMPLETED', 'COMPENSATED', 'STUCK')`,
            );
            return open.rows[0]!.count === 0n;
          },
          'every loan saga to end',
          120_000,
        );
        survivor.kill('SIGTERM');
        await exitOf(survivor, 10_000);
        const statuses = await db.query<{ application_id: string; status: string }>(`select application_id, status from loan_applications`);
        expect(statuses.rows.map((row) => [kinds.get(row.application_id), row.status]).sort()).toEqual(
          [...kinds.values()].map((kind) => [kind, expectedStatus[kind]]).sort(),
        );
        await assertLoanInvariants(db);
      } finally {
        await db.close();
        await pointDatabase.drop();
      }
    },
  );

  it(
    'kill -9 of random processes during a load of 300 loans: every saga ends as its kind demands, the invariants hold',
    { timeout: 300_000 },
    async () => {
      const loadDatabase = await createTestDatabase('loanload');
      const db = new PostgresDatabase({ connectionString: loadDatabase.url, poolSize: 4, applicationName: 'loan-load-test' });
      const running: ChildProcess[] = [];
      try {
        await prepareLoanDatabase(db);
        // Two processes share the consumer groups (one active member each, the other takes over).
        running.push(await startProcess(loadDatabase.url, undefined), await startProcess(loadDatabase.url, undefined));
        const starting = startLoans(db, 300, engine);
        let kills = 0;
        for (let round = 0; round < 6; round += 1) {
          await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 1500));
          const victim = running.splice(Math.floor(Math.random() * running.length), 1)[0]!;
          victim.kill('SIGKILL');
          await exitOf(victim, 10_000);
          kills += 1;
          running.push(await startProcess(loadDatabase.url, undefined));
        }
        const kinds = await starting;
        expect(kills).toBe(6);
        await eventually(
          async () => {
            const open = await db.query<{ count: bigint }>(
              `select count(*)::int8 as count from saga_instances where status not in ('COMPLETED', 'COMPENSATED', 'STUCK')`,
            );
            return open.rows[0]!.count === 0n;
          },
          'every loan saga to end',
          180_000,
        );
        const statuses = await db.query<{ application_id: string; status: string }>(`select application_id, status from loan_applications`);
        expect(statuses.rows).toHaveLength(300);
        // An application meant to be approved may be rejected: a step whose every send waited out a
        // rebalance after a kill has failed by its deadlines (no reply after 3 sends), which is the
        // saga's rule, not a fault. One meant to be rejected never is approved.
        const outcomes = statuses.rows.map((row) => ({ kind: kinds.get(row.application_id)!, status: row.status }));
        expect(
          outcomes.filter(({ kind, status }) => status !== expectedStatus[kind] && !(kind === 'approved' && status === 'REJECTED')),
        ).toEqual([]);
        expect(outcomes.filter(({ status }) => status === 'APPROVED').length, 'some applications approved').toBeGreaterThan(0);
        await assertLoanInvariants(db);
      } finally {
        for (const child of running) child.kill('SIGKILL');
        await db.close();
        await loadDatabase.drop();
      }
    },
  );

  async function startProcess(databaseUrl: string, crash: { point: string; after: number } | undefined): Promise<ChildProcess> {
    return startChild(
      processScript,
      {
        DATABASE_URL: databaseUrl,
        ENGINE: engine.kind,
        KAFKA_BROKERS: engine.kind === 'kafka' ? engine.brokers.join(',') : '',
        NAMESPACE: engine.kind === 'kafka' ? engine.namespace : '',
        CRASH_POINT: crash?.point ?? 'none',
        CRASH_AFTER: String(crash?.after ?? 0),
      },
      children,
    );
  }
});
