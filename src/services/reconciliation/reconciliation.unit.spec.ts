// Reconciliation end to end on PGlite in memory, against the RTGS network simulator in process: the
// ledger, gateway and RTGS tables are seeded as the services write them, the network settles real
// pacs.008s and serves its real camt.053, and the test injects breaks on either side.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedFixture, type BackboneFixture } from '../../backbone/testing/embedded-fixture.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { uuidV7Ids, type Clock } from '../../backbone/clock/clock.ts';
import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { PaymentOrder } from '../../contracts/payment.ts';
import { startRtgsSimulator, type RtgsSimulator } from '../../../tools/rtgs-simulator/index.ts';
import { ledgerMigrations } from '../ledger/migrations.ts';
import { gatewayMigrations } from '../gateway/migrations.ts';
import { rtgsMigrations } from '../rtgs/migrations.ts';
import { buildPacs008, defaultXsdDir, RtgsProtocol, XsdValidator } from '../../contracts/iso20022/index.ts';
import { samplePayment } from '../../contracts/iso20022/test-payments.ts';
import { installProblemErrorHandler, ProblemError, type RequireScope } from '../http/index.ts';
import type { ServiceDeps } from '../service.ts';
import {
  createReconciliationService,
  httpStatementSource,
  readStatement,
  runReconciliation,
  ReconciliationErrorCodes,
  type ReconciliationService,
  type ScreeningDecisions,
  type StatementSource,
} from './index.ts';

const ourBic = 'PSTRDEFFXXX';
const validator = new XsdValidator({ xsdDir: defaultXsdDir });

function fakeClock(startMs: number): Clock & { set(ms: number): void; advance(ms: number): Promise<void> } {
  let nowMs = startMs;
  const sleepers: { untilMs: number; resolve: () => void }[] = [];
  const wake = () => {
    for (const sleeper of sleepers.filter((each) => each.untilMs <= nowMs)) {
      sleepers.splice(sleepers.indexOf(sleeper), 1);
      sleeper.resolve();
    }
  };
  return {
    nowMs: () => nowMs,
    sleep: (delayMs, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        sleepers.push({ untilMs: nowMs + delayMs, resolve });
        signal?.addEventListener('abort', () => resolve(), { once: true });
      }),
    set(ms) {
      nowMs = ms;
      wake();
    },
    async advance(ms) {
      nowMs += ms;
      wake();
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };
}

/** Ops scope from a header, so the route's guard is exercised without the gateway's API keys. */
const requireScope: RequireScope = (scope) => async (request) => {
  if (request.headers['x-test-scope'] !== scope) throw new ProblemError('missing-scope', `needs ${scope}`);
};

describe('reconciliation of a business day on PGlite, against the RTGS simulator', () => {
  let fixture: BackboneFixture;
  let simulator: RtgsSimulator;
  let simulatorNowMs = Date.parse('2025-03-14T10:00:00Z');
  const clock = fakeClock(Date.parse('2025-03-20T12:00:00Z'));
  let service: ReconciliationService;
  let app: FastifyInstance;
  let deps: ServiceDeps;

  beforeAll(async () => {
    fixture = await embeddedFixture();
    for (const [scope, migrations] of [
      ['ledger', ledgerMigrations],
      ['gateway', gatewayMigrations],
      ['rtgs', rtgsMigrations],
    ] as const)
      await migrate(fixture.db, scope, migrations);
    simulator = await startRtgsSimulator({ latencyMs: 5, nowMs: () => simulatorNowMs });
    deps = {
      db: fixture.db,
      publisher: { publish: async () => {}, publishEach: async () => {} },
      clock,
      ids: uuidV7Ids,
      logger: pino({ level: 'silent' }),
      metricsRegistry: new Registry(),
    };
    service = createReconciliationService(deps, {
      requireScope,
      networkUrl: simulator.url,
      participantBic: ourBic,
      schedule: { cutOffUtc: '00:30', pollIntervalMs: 60_000, retryDelayMs: 300_000 },
    });
    await migrate(fixture.db, service.name, service.migrations);
    app = Fastify();
    installProblemErrorHandler(app, () => {});
    await service.routes!(app);
    await app.ready();
  });
  afterAll(async () => {
    await service?.scheduler.stop();
    await app?.close();
    await simulator?.close();
    await fixture?.close();
  });

  /** Sends payments to the network on `date` and waits until it settled them all. */
  async function settleAtNetwork(date: string, orders: PaymentOrder[]): Promise<void> {
    simulatorNowMs = Date.parse(`${date}T10:00:00Z`);
    for (const order of orders) {
      const pacs008 = buildPacs008({
        messageId: order.uetr.replaceAll('-', ''),
        createdAt: `${date}T10:00:00Z`,
        settlementDate: date,
        instructingAgentBic: ourBic,
        instructedAgentBic: 'RTGSDEFFXXX',
        payment: order,
      });
      const response = await fetch(`${simulator.url}${RtgsProtocol.submitPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml', [RtgsProtocol.idempotencyKeyHeader]: order.uetr },
        body: pacs008,
      });
      expect(response.status).toBe(202);
    }
    const deadline = Date.now() + 10_000;
    while (!orders.every((order) => simulator.inspect(order.uetr)?.status === 'ACSC')) {
      if (Date.now() > deadline) throw new Error('the simulator did not settle the payments');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  function order(amountMinor: bigint): PaymentOrder {
    return { ...samplePayment(), paymentId: randomUUID(), uetr: randomUUID(), endToEndId: `E2E-${randomUUID().slice(0, 8)}`, amountMinor };
  }

  /** Writes what the gateway, the ledger and the RTGS gateway write for a payment of `date`. */
  async function book(
    date: string,
    payment: PaymentOrder,
    how: { status: string; route: 'RTGS' | 'INTERNAL'; posted: boolean },
  ): Promise<void> {
    const at = new Date(`${date}T10:00:05Z`);
    await fixture.db.transaction(async (tx: SqlRunner) => {
      await tx.query(
        `insert into ledger_accounts (account_id, kind, name, currency, overdraft_limit_minor) values ($1, 'customer', 'Debtor', 'EUR', 0) on conflict do nothing`,
        [payment.debtor.account],
      );
      await tx.query(
        `insert into ledger_accounts (account_id, kind, name, currency) values ('BANK-RTGS-SETTLEMENT-EUR', 'bank', 'RTGS settlement', 'EUR') on conflict do nothing`,
      );
      await tx.query(
        `insert into payments (payment_id, uetr, correlation_id, api_key_id, debtor_account, amount_minor, currency, payment_order, status, status_rank, received_at, updated_at)
         values ($1, $2, $3, 'key', $4, $5, 'EUR', '{}'::jsonb, $6, 9, $7, $7)`,
        [payment.paymentId, payment.uetr, randomUUID(), payment.debtor.account, payment.amountMinor, how.status, at],
      );
      await tx.query(
        `insert into ledger_holds (payment_id, account_id, amount_minor, currency, route, state, created_at) values ($1, $2, $3, 'EUR', $4, $5, $6)`,
        [payment.paymentId, payment.debtor.account, payment.amountMinor, how.route, how.posted ? 'posted' : 'held', at],
      );
      if (how.route === 'RTGS') {
        await tx.query(
          `insert into rtgs_submissions (uetr, payment_id, debtor_account, message_id, amount_minor, currency, state, settlement_date, pacs008, correlation_id, submitted_at, decided_at)
           values ($1, $2, $3, 'MSG', $4, 'EUR', 'settled', $5, '<x/>', 'c', $6, $6)`,
          [payment.uetr, payment.paymentId, payment.debtor.account, payment.amountMinor, date, at],
        );
      }
      if (!how.posted) return;
      const entryId = randomUUID();
      const counterpart = how.route === 'RTGS' ? 'BANK-RTGS-SETTLEMENT-EUR' : payment.debtor.account.replace(/.$/, '9');
      if (how.route === 'INTERNAL')
        await tx.query(
          `insert into ledger_accounts (account_id, kind, name, currency, overdraft_limit_minor) values ($1, 'customer', 'Creditor', 'EUR', 0) on conflict do nothing`,
          [counterpart],
        );
      await tx.query(
        `insert into ledger_journal_entries (entry_id, kind, payment_id, reference, currency, created_at) values ($1, $2, $3, $3, 'EUR', $4)`,
        [entryId, how.route === 'RTGS' ? 'settlement' : 'internal-transfer', payment.paymentId, at],
      );
      await tx.query(`insert into ledger_postings (entry_id, account_id, amount_minor) values ($1, $2, $3), ($1, $4, $5)`, [
        entryId,
        payment.debtor.account,
        -payment.amountMinor,
        counterpart,
        payment.amountMinor,
      ]);
    });
  }

  async function getReport(date: string, scope = 'ops') {
    const response = await app.inject({ method: 'GET', url: `/v1/reconciliation/${date}`, headers: { 'x-test-scope': scope } });
    return { status: response.statusCode, type: response.headers['content-type'], body: response.json() };
  }

  it('reports a clean day as clean, and serves it at GET /v1/reconciliation/{date}', async () => {
    const date = '2025-03-14';
    const [a, b, inHouse] = [order(125_050n), order(99n), order(7_000n)];
    await settleAtNetwork(date, [a, b]);
    await book(date, a, { status: 'COMPLETED', route: 'RTGS', posted: true });
    await book(date, b, { status: 'COMPLETED', route: 'RTGS', posted: true });
    await book(date, inHouse, { status: 'COMPLETED', route: 'INTERNAL', posted: true });

    const report = await service.run(date);
    expect(report).toMatchObject({ date, clean: true, screening: 'not-checked', breaks: [], triggeredBy: 'manual' });
    expect(report.statementMessageId).toMatch(/^STMT20250314/);
    expect(report.counts).toMatchObject({
      ledgerSettlements: 2,
      ledgerInternalTransfers: 1,
      paymentsCompleted: 3,
      statementDebits: 2,
      matched: 2,
      breaks: 0,
    });

    const served = await getReport(date);
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({ runId: report.runId, date, clean: true, breaks: [], counts: { matched: 2 } });
  });

  it('finds a settlement missing from the ledger: the statement has a UETR the ledger lacks', async () => {
    const date = '2025-03-17';
    const [posted, lost] = [order(10_000n), order(20_000n)];
    await settleAtNetwork(date, [posted, lost]);
    await book(date, posted, { status: 'COMPLETED', route: 'RTGS', posted: true });
    // The network settled `lost`, but its rtgs.settled never reached the ledger: still SUBMITTED, not posted.
    await book(date, lost, { status: 'SUBMITTED', route: 'RTGS', posted: false });

    const report = await service.run(date);
    expect(report.clean).toBe(false);
    expect(report.breaks).toEqual([
      expect.objectContaining({
        kind: 'SETTLED_NOT_POSTED',
        paymentId: lost.paymentId,
        uetr: lost.uetr,
        statementAmountMinor: 20_000n,
        paymentStatus: 'SUBMITTED',
      }),
    ]);
    const served = await getReport(date);
    expect(served.body.breaks).toEqual([
      expect.objectContaining({ kind: 'SETTLED_NOT_POSTED', uetr: lost.uetr, statementAmountMinor: '20000' }),
    ]);
    expect(served.body.counts.breaksByKind).toMatchObject({ SETTLED_NOT_POSTED: 1 });
  });

  it('finds an amount changed in the statement, and a posting the statement does not book', async () => {
    const date = '2025-03-18';
    const [a, b, c] = [order(125_050n), order(300n), order(4_200n)];
    await settleAtNetwork(date, [a, b]);
    for (const payment of [a, b, c]) await book(date, payment, { status: 'COMPLETED', route: 'RTGS', posted: true });
    // The real statement, with the amount of `a`'s entry changed from 1250.50 to 1250.51.
    const real = httpStatementSource({ networkUrl: simulator.url, participantBic: ourBic, timeoutMs: 5_000, validator });
    const tampered: StatementSource = {
      async statementFor(day) {
        const response = await fetch(`${simulator.url}${RtgsProtocol.statementPath(day)}?participant=${ourBic}`);
        const xml = await response.text();
        const entry = new RegExp(`<Ntry>(?:(?!</Ntry>)[\\s\\S])*<UETR>${a.uetr}</UETR>[\\s\\S]*?</Ntry>`).exec(xml)![0];
        return readStatement(xml.replace(entry, entry.replaceAll('>1250.50<', '>1250.51<')), day, { validator });
      },
    };
    expect((await real.statementFor(date)).entries.find((entry) => entry.uetr === a.uetr)).toMatchObject({
      amountMinor: 125_050n,
      creditDebit: 'DBIT',
      currency: 'EUR',
    });

    const report = await runReconciliation({ ...service.runDeps, statements: tampered }, date);
    expect(report.breaks).toEqual([
      expect.objectContaining({
        kind: 'AMOUNT_MISMATCH',
        paymentId: a.paymentId,
        uetr: a.uetr,
        ledgerAmountMinor: 125_050n,
        statementAmountMinor: 125_051n,
      }),
      expect.objectContaining({ kind: 'POSTED_NOT_SETTLED', paymentId: c.paymentId, uetr: c.uetr, ledgerAmountMinor: 4_200n }),
    ]);
    expect(report.counts.matched).toBe(1);
  });

  it('reports completed payments without a screening decision when the decisions are known', async () => {
    const date = '2025-03-14';
    const screened: ScreeningDecisions = {
      async paymentIdsWithDecision(tx, paymentIds) {
        const rows = await tx.query<{ payment_id: string }>(
          `select payment_id from payments where payment_id = any($1::text[]) and amount_minor <> 99`,
          [paymentIds],
        );
        return new Set(rows.rows.map((row) => row.payment_id));
      },
    };
    const report = await runReconciliation({ ...service.runDeps, screening: screened }, date);
    expect(report.screening).toBe('checked');
    expect(report.breaks).toEqual([expect.objectContaining({ kind: 'COMPLETED_WITHOUT_SCREENING' })]);
    // The latest run of the day is the one served.
    expect((await getReport(date)).body).toMatchObject({ runId: report.runId, clean: false, screening: 'checked' });
  });

  it('stores nothing when the statement cannot be had, and refuses a day in the future', async () => {
    const down = httpStatementSource({ networkUrl: 'http://127.0.0.1:9', participantBic: ourBic, timeoutMs: 1_000, validator });
    await expect(runReconciliation({ ...service.runDeps, statements: down }, '2025-03-19')).rejects.toMatchObject({
      code: ReconciliationErrorCodes.STATEMENT_UNAVAILABLE,
      retryable: true,
    });
    expect((await getReport('2025-03-19')).status).toBe(404);
    const invalid: StatementSource = {
      statementFor: (day) => readStatement('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>', day, { validator }),
    };
    await expect(runReconciliation({ ...service.runDeps, statements: invalid }, '2025-03-19')).rejects.toMatchObject({
      code: ReconciliationErrorCodes.STATEMENT_INVALID,
      retryable: false,
    });
    await expect(service.run('2025-03-21')).rejects.toMatchObject({ code: ReconciliationErrorCodes.INVALID_DATE });
    await expect(service.run('2025-3-1')).rejects.toMatchObject({ code: ReconciliationErrorCodes.INVALID_DATE });
  });

  it('GET is ops-only, 404 for a day never reconciled, 400 for a bad date, problem+json throughout', async () => {
    expect(await getReport('2025-03-14', 'payments:read')).toMatchObject({
      status: 403,
      type: expect.stringMatching(/^application\/problem\+json/),
      body: { code: 'missing-scope' },
    });
    expect(await getReport('2024-01-01')).toMatchObject({
      status: 404,
      type: expect.stringMatching(/^application\/problem\+json/),
      body: { code: 'not-found' },
    });
    expect(await getReport('2025-02-30')).toMatchObject({
      status: 400,
      type: expect.stringMatching(/^application\/problem\+json/),
      body: { code: 'invalid-field' },
    });
  });

  it('the scheduler reconciles yesterday once, after the cut-off, on its clock', async () => {
    const date = '2025-03-20';
    const payment = order(5_000n);
    await settleAtNetwork(date, [payment]);
    await book(date, payment, { status: 'COMPLETED', route: 'RTGS', posted: true });
    clock.set(Date.parse('2025-03-21T00:29:00Z'));
    await service.scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await getReport(date)).status).toBe(404);

    await clock.advance(60_000); // 00:30: the day is due at the next look
    const deadline = Date.now() + 5_000;
    while ((await getReport(date)).status !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await getReport(date)).body).toMatchObject({ date, clean: true, triggeredBy: 'schedule', counts: { matched: 1 } });

    await service.scheduler.stop();
    await clock.advance(60_000);
    expect(await service.scheduler.runDue()).toEqual({ kind: 'not-due' });
    const runs = await fixture.db.query(`select run_id from reconciliation_reports where business_date = $1`, [date]);
    expect(runs.rows).toHaveLength(1);
  });
});
