import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type preHandlerHookHandler } from 'fastify';
import { PgliteDatabase } from '../../backbone/storage-pglite/pglite-database.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import type { EventCause, NewEvent } from '../../backbone/envelope/event-encoder.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import { installProblemErrorHandler } from '../http/error-handler.ts';
import { problemOf, sendProblem } from '../http/problem.ts';
import { complianceCaseMigrations } from './migrations.ts';
import { openCase, withdrawCase, type NewCase } from './cases.ts';
import { complianceCaseRoutes } from './routes.ts';

// A screening case from opening to the officer's decision, on PGlite through the real routes, with
// a publisher that records what it is given: opened once per payment and stage, decided once
// (a second decision is a 409 that publishes nothing), withdrawn when its subject ended first (a
// late decision is a 409 case-withdrawn), an unknown case a 404, and the officer's scope required.
describe('a compliance case', () => {
  const account = 'DE89370400440532013000';
  let db: PgliteDatabase;
  let app: FastifyInstance;
  const published: { events: readonly NewEvent[]; cause: EventCause }[] = [];

  const screeningCase = (paymentId: string, caseId = `case-${paymentId}`): NewCase => ({
    caseId,
    paymentId,
    debtorAccount: account,
    correlationId: `flow-${paymentId}`,
    stage: 'SCREENING',
    reason: 'MEDIUM match against the OFAC SDN list',
    evidence: { score: 0.91, listVersion: 42n },
    onApprove: {
      topic: PaymentTopics.initiated,
      eventType: PaymentEventTypes[PaymentTopics.initiated],
      key: account,
      payload: { paymentId },
    },
    amountMinor: 1_234_56n,
    currency: 'EUR',
  });
  const open = (input: NewCase) => db.transaction((tx) => openCase(tx, input));
  const decide = (caseId: string, body: Record<string, unknown>, scopes = 'ops') =>
    app.inject({ method: 'POST', url: `/v1/compliance/cases/${caseId}/decision`, headers: { 'x-test-scopes': scopes }, payload: body });

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db, 'compliance-cases', complianceCaseMigrations);
    // A stand-in for the API's authentication: the key's scopes come in a test header.
    const requireScope =
      (scope: string): preHandlerHookHandler =>
      (request, reply, done) => {
        if (
          !String(request.headers['x-test-scopes'] ?? '')
            .split(' ')
            .includes(scope)
        )
          return void sendProblem(reply, problemOf('missing-scope', `this call needs ${scope}`));
        request.principal = { keyId: 'officer-key', scopes: new Set(['ops']) };
        done();
      };
    app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } } });
    installProblemErrorHandler(app, () => {});
    await complianceCaseRoutes({
      db,
      requireScope,
      publisher: { publish: async (_tx, events, cause) => void published.push({ events, cause }), publishEach: async () => {} },
    })(app);
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('opens a case once per payment and stage: a redelivered event opens nothing', async () => {
    expect(await open(screeningCase('pay-1'))).toBe(true);
    expect(await open(screeningCase('pay-1', 'case-again'))).toBe(false);
    const listed = (await app.inject({ url: '/v1/compliance/cases', headers: { 'x-test-scopes': 'ops' } })).json();
    expect(listed.cases).toEqual([
      expect.objectContaining({
        caseId: 'case-pay-1',
        paymentId: 'pay-1',
        stage: 'SCREENING',
        status: 'open',
        amount: '1234.56',
        currency: 'EUR',
        evidence: { score: 0.91, listVersion: { $bigint: '42' } },
        attachedPayments: [],
      }),
    ]);
  });

  it("approves a case: the payment's release is published under its correlation id, and the case shows who decided", async () => {
    published.length = 0;
    const response = await decide('case-pay-1', { decision: 'approve', reason: 'false positive: other date of birth' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      caseId: 'case-pay-1',
      status: 'approved',
      decidedBy: 'officer-key',
      decisionReason: 'false positive: other date of birth',
    });
    expect(published).toEqual([
      {
        cause: { correlationId: 'flow-pay-1' },
        events: [expect.objectContaining({ topic: 'compliance.case-decided.v1' }), screeningCase('pay-1').onApprove],
      },
    ]);
  });

  it('refuses a second decision as a 409 conflict, publishing nothing and keeping the first', async () => {
    published.length = 0;
    const response = await decide('case-pay-1', { decision: 'reject', reason: 'second thoughts' });
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual(problemOf('conflict', 'the case was already approved'));
    expect(published).toEqual([]);
    const approved = (await app.inject({ url: '/v1/compliance/cases?status=approved', headers: { 'x-test-scopes': 'ops' } })).json();
    expect(approved.cases).toEqual([
      expect.objectContaining({ caseId: 'case-pay-1', decisionReason: 'false positive: other date of birth' }),
    ]);
  });

  it('rejects a case: the payment is rejected with the reason', async () => {
    await open(screeningCase('pay-2'));
    published.length = 0;
    expect((await decide('case-pay-2', { decision: 'reject', reason: 'confirmed match' })).statusCode).toBe(200);
    expect(published.flatMap(({ events }) => events.map((event) => [event.topic, event.payload]))).toEqual([
      ['compliance.case-decided.v1', expect.objectContaining({ paymentId: 'pay-2', decision: 'REJECT', decidedBy: 'officer-key' })],
      [
        'payments.rejected.v1',
        {
          paymentId: 'pay-2',
          debtorAccount: account,
          reasonCode: 'COMPLIANCE_REJECTED',
          reason: 'rejected by a compliance officer: confirmed match',
        },
      ],
    ]);
  });

  it('answers an unknown case as 404, a bad decision as 400, and a key without the ops scope as 403', async () => {
    expect((await decide('case-nope', { decision: 'approve', reason: 'fine by me' })).json()).toEqual(
      problemOf('not-found', 'no case case-nope'),
    );
    expect((await decide('case-pay-1', { decision: 'maybe', reason: 'fine by me' })).json()).toMatchObject({
      status: 400,
      code: 'invalid-field',
      pointer: '/decision',
    });
    expect((await decide('case-pay-1', { decision: 'approve' })).json()).toMatchObject({
      status: 400,
      code: 'missing-field',
      pointer: '/reason',
    });
    expect((await decide('case-pay-1', { decision: 'approve', reason: 'fine by me' }, 'payments:read')).json()).toMatchObject({
      status: 403,
      code: 'missing-scope',
    });
  });

  it('withdraws an open case whose subject ended: it shows why, and a late decision is a 409 case-withdrawn that publishes nothing', async () => {
    await open(screeningCase('loan-1'));
    const withdrawal = {
      caseId: 'case-loan-1',
      withdrawnBy: 'loan-approval saga',
      reason: 'the loan application ended',
      atMs: 1_767_600_000_000,
    };
    expect(await db.transaction((tx) => withdrawCase(tx, withdrawal))).toBe(true);
    expect(await db.transaction((tx) => withdrawCase(tx, withdrawal)), 'withdrawn once').toBe(false);
    published.length = 0;
    const late = await decide('case-loan-1', { decision: 'approve', reason: 'false positive' });
    expect(late.statusCode).toBe(409);
    expect(late.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(late.json()).toEqual(problemOf('case-withdrawn', 'the case was withdrawn before a decision: the loan application ended'));
    expect(published).toEqual([]);
    const stillOpen = (await app.inject({ url: '/v1/compliance/cases', headers: { 'x-test-scopes': 'ops' } })).json();
    expect(stillOpen.cases.map((listed: { caseId: string }) => listed.caseId)).not.toContain('case-loan-1');
    const withdrawn = (await app.inject({ url: '/v1/compliance/cases?status=withdrawn', headers: { 'x-test-scopes': 'ops' } })).json();
    expect(withdrawn.cases).toEqual([
      expect.objectContaining({
        caseId: 'case-loan-1',
        status: 'withdrawn',
        decidedAt: new Date(withdrawal.atMs).toISOString(),
        decidedBy: 'loan-approval saga',
        decisionReason: 'the loan application ended',
      }),
    ]);
  });

  it('withdraws no case an officer decided first: the decision stands', async () => {
    expect(
      await db.transaction((tx) => withdrawCase(tx, { caseId: 'case-pay-2', withdrawnBy: 'loan-approval saga', reason: 'ended', atMs: 0 })),
    ).toBe(false);
    const rejected = (await app.inject({ url: '/v1/compliance/cases?status=rejected', headers: { 'x-test-scopes': 'ops' } })).json();
    expect(rejected.cases).toEqual([expect.objectContaining({ caseId: 'case-pay-2', decisionReason: 'confirmed match' })]);
  });
});
