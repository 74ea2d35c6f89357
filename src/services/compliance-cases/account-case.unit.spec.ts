import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type preHandlerHookHandler } from 'fastify';
import { PgliteDatabase } from '../../backbone/storage-pglite/pglite-database.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import type { EventCause, NewEvent } from '../../backbone/envelope/event-encoder.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import { installProblemErrorHandler } from '../http/error-handler.ts';
import { allScopes } from '../http/scopes.ts';
import { complianceCaseMigrations } from './migrations.ts';
import { openOrAttachToAccountCase, type AccountCaseOutcome } from './cases.ts';
import { complianceCaseRoutes } from './routes.ts';

// One open FRAUD case per account: later holds attach to it, a redelivered hold writes nothing,
// the officer's decision applies to every payment of the case, and a hold after it opens a new
// case. On PGlite through the real routes, with a publisher that records what it is given.
describe('one open fraud case per account', () => {
  const account = 'DE89370400440532013000';
  let db: PgliteDatabase;
  let app: FastifyInstance;
  const published: { events: readonly NewEvent[]; cause: EventCause }[] = [];
  let caseCount = 0;

  const hold = (paymentId: string): Promise<AccountCaseOutcome> =>
    db.transaction((tx) =>
      openOrAttachToAccountCase(tx, {
        caseId: `case-${++caseCount}`,
        paymentId,
        debtorAccount: account,
        correlationId: `flow-${paymentId}`,
        stage: 'FRAUD',
        reason: 'fraud score 60 (review at 60): velocityCount +60',
        evidence: { score: 60 },
        onApprove: (caseId) => ({
          topic: PaymentTopics.cleared,
          eventType: PaymentEventTypes[PaymentTopics.cleared],
          key: account,
          payload: { paymentId, clearedBy: `case:${caseId}` },
        }),
        amountMinor: 10_00n,
        currency: 'EUR',
      }),
    );

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db, 'compliance-cases', complianceCaseMigrations);
    const requireScope = (): preHandlerHookHandler => (request, _reply, done) => {
      request.principal = { keyId: 'officer-key', scopes: new Set(allScopes) };
      done();
    };
    app = Fastify();
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

  it('opens a case for the first hold, attaches the next ones, and writes nothing for a redelivered hold', async () => {
    expect(await hold('pay-1')).toEqual({ kind: 'opened', caseId: 'case-1' });
    expect(await hold('pay-2')).toEqual({ kind: 'attached', caseId: 'case-1' });
    expect(await hold('pay-3')).toEqual({ kind: 'attached', caseId: 'case-1' });
    expect(await hold('pay-1')).toEqual({ kind: 'exists' });
    expect(await hold('pay-3')).toEqual({ kind: 'exists' });
    const listed = (await app.inject({ url: '/v1/compliance/cases?status=open' })).json();
    expect(listed.cases).toHaveLength(1);
    expect(listed.cases[0]).toMatchObject({
      caseId: 'case-1',
      paymentId: 'pay-1',
      attachedPayments: [{ paymentId: 'pay-2', correlationId: 'flow-pay-2', amount: '10.00' }, { paymentId: 'pay-3' }],
    });
  });

  it("applies the officer's rejection to every payment of the case, each under its own correlation id", async () => {
    const decided = await app.inject({
      method: 'POST',
      url: '/v1/compliance/cases/case-1/decision',
      payload: { decision: 'reject', reason: 'customer did not make these' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(
      published.map(({ cause, events }) => [
        cause.correlationId,
        events.map((event) => `${event.topic}:${(event.payload as { paymentId: string }).paymentId}`),
      ]),
    ).toEqual([
      ['flow-pay-1', ['compliance.case-decided.v1:pay-1', 'payments.rejected.v1:pay-1']],
      ['flow-pay-2', ['compliance.case-decided.v1:pay-2', 'payments.rejected.v1:pay-2']],
      ['flow-pay-3', ['compliance.case-decided.v1:pay-3', 'payments.rejected.v1:pay-3']],
    ]);
  });

  it('opens a new case for a hold after the decision, whose approval clears with its own case id', async () => {
    const opened = await hold('pay-4');
    expect(opened).toMatchObject({ kind: 'opened' });
    const caseId = (opened as { caseId: string }).caseId;
    published.length = 0;
    const decided = await app.inject({
      method: 'POST',
      url: `/v1/compliance/cases/${caseId}/decision`,
      payload: { decision: 'approve', reason: 'confirmed by phone' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(published[0]!.events[1]).toMatchObject({
      topic: 'payments.cleared.v1',
      payload: { paymentId: 'pay-4', clearedBy: `case:${caseId}` },
    });
  });
});
