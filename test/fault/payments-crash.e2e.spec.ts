/**
 * The payments crash test (the acceptance point of the payments issue): the platform runs as real
 * processes (`paystream start --only …`) with the RTGS simulator in a process of its own; a client
 * submits thousands of payments over HTTP while processes are killed with `kill -9` at seeded
 * random moments and started again. Afterwards: every accepted payment is terminal and ended as
 * its kind demands, the ledger invariants hold, nothing was posted twice, each UETR was decided and
 * settled once, the audit chain verifies, and every balance is what the completed payments make it.
 *
 * Knobs (environment): PAYSTREAM_CRASH_SEED=<seed> replays a run's plan and kill schedule (the
 * timing of a real run still varies); PAYSTREAM_CRASH_LOG_LEVEL (default warn) is the processes'
 * log level; their logs are kept, and the path logged, when the test fails or
 * PAYSTREAM_CRASH_KEEP_LOGS=1.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import { PgliteDatabase } from '../../src/backbone/storage-pglite/pglite-database.ts';
import { serviceNames } from '../../src/runtime/service-catalog.ts';
import { RtgsProtocol } from '../../src/contracts/iso20022/rtgs-protocol.ts';
import { hasKafka, hasPostgres } from '../support/engines.ts';
import { runChaos, type ChaosEvent } from './payments-crash-chaos.ts';
import {
  assertRunConsistent,
  auditedTerminalPayments,
  redeliverAnswers,
  statusFromApi,
  statusFromDatabase,
  waitUntilQuiet,
  waitUntilTerminal,
} from './payments-crash-checks.ts';
import { decimal, planPayments, submitAll, type SubmitReport } from './payments-crash-load.ts';
import { seededRandom } from '../../src/backbone/testing/seeded-random.ts';
import { crashWorkspace, startCrashPlatform, type CrashEngine, type CrashLayout } from './crash-platform.ts';

interface EngineRun {
  engine: CrashEngine;
  /** Why the run is skipped; undefined when it runs. */
  skipReason: string | undefined;
  /** Which services each platform process runs (undefined: all of them). */
  layout: CrashLayout;
  payments: number;
  ratePerSecond: number;
  chaos: { maxKills: number; pauseMs: { min: number; max: number }; minUpMs: number };
  timeoutMs: number;
}

// Budget. On Kafka, a process restarted after kill -9 serves nothing for about 30 s: its
// consumers wait for the dead member's session to time out (30 s by default) before their group
// rebalances, and the platform listens only once they joined. So each kill costs half a minute,
// and the run is sized to about two minutes: 2,000 payments (the platform settles some 30-40 a
// second on two cores) and four kills (every process once, the simulator included). The embedded
// engine has no such wait; a restart re-opens PGlite (~9-10 s), and 600 payments at 40 a second
// take 30-45 s with their kills (the submission ends after ~15 s, so usually two: the platform and
// the simulator), which fits the file's budget (3 min) next to the Kafka run.
const engineRuns: EngineRun[] = [
  {
    engine: 'kafka',
    skipReason: hasKafka() && hasPostgres() ? undefined : 'needs Kafka and PostgreSQL',
    // Intake, the money path (validation, the compliance stages, the ledger: every service not
    // named elsewhere, so a stage added to the catalog runs too), and the network side.
    layout: [
      { name: 'gateway', only: ['gateway'] },
      { name: 'core', only: serviceNames.filter((service) => !['gateway', 'rtgs', 'notifications', 'audit'].includes(service)) },
      { name: 'rtgs', only: ['rtgs', 'notifications', 'audit'] },
    ],
    payments: 2_000,
    ratePerSecond: 60,
    chaos: { maxKills: 4, pauseMs: { min: 3_000, max: 6_000 }, minUpMs: 5_000 },
    timeoutMs: 240_000,
  },
  {
    engine: 'embedded',
    skipReason: undefined,
    layout: [{ name: 'platform', only: undefined }],
    payments: 600,
    ratePerSecond: 40,
    chaos: { maxKills: 4, pauseMs: { min: 2_000, max: 5_000 }, minUpMs: 2_000 },
    timeoutMs: 240_000,
  },
];

const accountCount = 6;
const depositMinor = 1_000_000_00n;
const bankBic = 'PAYSDEFFXXX';

for (const run of engineRuns) {
  describe.skipIf(run.skipReason !== undefined)(
    `payments crash test on ${run.engine}${run.skipReason ? ` (skipped: ${run.skipReason})` : ''}`,
    () => {
      const seed = Number(process.env.PAYSTREAM_CRASH_SEED ?? randomBytes(4).readUInt32BE(0));
      const processLogLevel = process.env.PAYSTREAM_CRASH_LOG_LEVEL ?? 'warn';
      const apiKey = `crash-${randomBytes(16).toString('hex')}`;
      const callbackToken = randomBytes(24).toString('base64url');
      const workspace = crashWorkspace(`crash-${run.engine}`);
      const { processes } = workspace;

      it(`kill -9 during ${run.payments} payments loses nothing and does nothing twice`, { timeout: run.timeoutMs }, async () => {
        const startedAtMs = Date.now();
        const log = (message: string) =>
          console.log(`[crash ${run.engine} +${((Date.now() - startedAtMs) / 1000).toFixed(1)}s] ${message}`);
        const { workDir } = workspace;
        log(`seed ${seed} (replay with PAYSTREAM_CRASH_SEED=${seed}); logs in ${workDir}`);
        const random = seededRandom(seed);

        const { env, simulator, platform, urlServing } = await startCrashPlatform(workspace, {
          engine: run.engine,
          layout: run.layout,
          apiKey,
          bankBic,
          callbackToken,
          logLevel: processLogLevel,
          databaseName: 'payments_crash',
          namespacePrefix: 'crash',
          startTimeoutMs: 90_000,
          log,
        });

        const accounts = await openAccounts(urlServing('ledger'), apiKey);
        const depositsMinor = new Map(accounts.map((account) => [account, depositMinor]));
        const plan = planPayments(random, accounts, run.payments, `${seed}`);

        let loading = true;
        const chaos = runChaos({ random, platform, simulator, ...run.chaos, downMs: { min: 100, max: 1_500 }, startedAtMs }, () => loading);
        let report: SubmitReport;
        try {
          report = await submitAll(plan, {
            url: urlServing('gateway'),
            apiKey,
            concurrency: 32,
            ratePerSecond: run.ratePerSecond,
            giveUpAfterMs: 90_000,
          });
        } finally {
          loading = false;
        }
        const kills = await chaos;
        log(
          `submitted ${plan.length} payments in ${(report.durationMs / 1000).toFixed(1)} s: ${report.accepted.length} accepted, ${report.requests} requests, ` +
            `${report.repeatedRequests} repeated with the same Idempotency-Key (${report.answersLost} after an answer lost on purpose), ${report.replayed} answered as replays, ` +
            `${report.refused.length} refused, ${report.givenUp.length} given up`,
        );
        logKills(log, kills);
        expect(report.idempotencyBroken, 'repeated requests that did not answer the payment already made').toEqual([]);
        expect(report.replayed, 'every lost answer was answered again as a replay').toBeGreaterThanOrEqual(report.answersLost);
        expect(
          report.refused.map(({ payment, status, body }) => `${payment.idempotencyKey}: ${status} ${body}`),
          'requests refused',
        ).toEqual([]);
        expect(
          report.givenUp.map((payment) => payment.idempotencyKey),
          'payments never accepted',
        ).toEqual([]);

        const gatewayUrl = urlServing('gateway');
        const db = run.engine === 'kafka' ? new PostgresDatabase({ connectionString: workspace.database!.url, poolSize: 2 }) : undefined;
        try {
          const { waitedMs } = await waitUntilTerminal(db ? statusFromDatabase(db) : statusFromApi(gatewayUrl, apiKey), report.accepted, {
            timeoutMs: 150_000,
            progress: log,
          });
          log(`every accepted payment terminal ${(waitedMs / 1000).toFixed(1)} s after the last was accepted`);
          // A seeded sample of one RTGS payment in eight: each repeat costs two requests and a transaction.
          const rtgsUetrs = report.accepted
            .filter((payment) => (payment.kind === 'rtgs-settle' || payment.kind === 'rtgs-reject') && random() < 0.125)
            .map((payment) => payment.uetr);
          const redelivered = await redeliverAnswers({
            simulatorUrl: env.RTGS_URL!,
            callbackUrl: `${urlServing('rtgs')}${RtgsProtocol.callbackPath}`,
            callbackToken,
            uetrs: rtgsUetrs,
          });
          log(`the network repeated ${rtgsUetrs.length} answers: ${JSON.stringify(redelivered)}`);
          expect(redelivered, 'a repeated RTGS answer is applied once: the gateway says it was already final').toEqual({
            'already-final': rtgsUetrs.length,
          });
          const checked = db ? await checkKafkaRun(db) : await checkEmbeddedRun();
          log(`checked: ${JSON.stringify(checked)}`);
        } finally {
          await db?.close();
        }
        const crashes = processes.flatMap((child) => child.unexpectedExits);
        expect(
          crashes,
          `processes that exited on their own:\n${crashes.map((exit) => processes.find((child) => child.name === exit.name)!.logTail()).join('\n')}`,
        ).toEqual([]);
        log(
          `done: ${kills.length} kills (${kills.map((kill) => kill.victim).join(', ')}), ${processes.reduce((sum, child) => sum + child.starts, 0) - processes.length} restarts`,
        );
        workspace.passed = true;

        async function checkKafkaRun(kafkaDb: PostgresDatabase) {
          await waitUntilQuiet(kafkaDb, report.accepted.length, { outbox: true, timeoutMs: 60_000 });
          return assertRunConsistent(kafkaDb, {
            planned: plan,
            accepted: report.accepted,
            depositsMinor,
            simulatorDataFile: join(workDir, 'rtgs-simulator.jsonl'),
            simulatorUrl: env.RTGS_URL!,
            bankBic,
          });
        }

        // The embedded database is the platform process's own: stop it (gracefully) to read it. If
        // the audit consumer had not caught up yet, let the platform run a little longer.
        async function checkEmbeddedRun() {
          const [only] = platform;
          for (let attempt = 1; ; attempt++) {
            await only!.stop();
            const pglite = await PgliteDatabase.open({ dataDir: env.PAYSTREAM_DATA_DIR! });
            try {
              if (attempt >= 10 || (await auditedTerminalPayments(pglite)) >= report.accepted.length) {
                return await assertRunConsistent(pglite, {
                  planned: plan,
                  accepted: report.accepted,
                  depositsMinor,
                  simulatorDataFile: join(workDir, 'rtgs-simulator.jsonl'),
                  simulatorUrl: env.RTGS_URL!,
                  bankBic,
                });
              }
            } finally {
              await pglite.close();
            }
            await only!.start();
            await new Promise((resolve) => setTimeout(resolve, 2_000));
          }
        }
      });
    },
  );
}

/** Opens the accounts the payments are made from and funds them (before any kill). */
async function openAccounts(ledgerUrl: string, apiKey: string): Promise<string[]> {
  const call = async (path: string, body: unknown, idempotencyKey?: string) => {
    const response = await fetch(`${ledgerUrl}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { iban?: string };
    expect(response.status, `POST ${path}: ${JSON.stringify(answer)}`).toBe(201);
    return answer;
  };
  const accounts: string[] = [];
  for (let index = 0; index < accountCount; index++) {
    const { iban } = await call('/v1/accounts', { name: `Crash Test Account ${index}`, currency: 'EUR' });
    await call(`/v1/accounts/${iban}/deposits`, { amount: decimal(depositMinor) }, `deposit-${iban}`);
    accounts.push(iban!);
  }
  return accounts;
}

function logKills(log: (message: string) => void, kills: readonly ChaosEvent[]): void {
  for (const kill of kills)
    log(
      `  kill -9 ${kill.victim} (pid ${kill.pid}) at +${(kill.atMs / 1000).toFixed(1)}s, down ${kill.downMs} ms, ready again ${kill.restartMs} ms after its restart`,
    );
}
