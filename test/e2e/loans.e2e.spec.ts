import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRabbitMQ, hasKafka, hasPostgres } from '../support/engines.ts';
import { startTestPlatform, type Engine, type JsonBody, type TestPlatform } from '../support/platform-fixture.ts';
import { assertLoanInvariants } from '../support/loan-invariants.ts';

// The loan approval saga end to end, over HTTP, on both engines, against the real OFAC SDN and UN
// lists: the README's example is approved and paid out once; a listed person is refused at
// KYC_CHECK; a namesake (MEDIUM) waits for a compliance officer, who approves or rejects; a debt
// ratio too high is refused at CREDIT_SCORE and an exposure over the customer's limit at
// RISK_ASSESSMENT, their reservations released. The applicant is told the same neutral reason
// whichever check refused; the saga's history keeps the reason for operators. After each test the
// ledger's and the loans' invariants hold. With SAGA_COMMAND_CHANNEL=rabbitmq the commands travel
// over the real RabbitMQ: a loan approved, one rejected, and a namesake's case that no officer
// decides, withdrawn when the saga gives up on it.
const engines: { engine: Engine; available: boolean; reason: string }[] = [
  { engine: 'embedded', available: true, reason: '' },
  {
    engine: 'kafka',
    available: hasKafka() && hasPostgres(),
    reason: 'needs Kafka and PostgreSQL (REQUIRE_KAFKA/REQUIRE_POSTGRES make CI fail instead)',
  },
];

const berlin = { streetName: 'Unter den Linden', buildingNumber: '5', postCode: '10117', townName: 'Berlin', country: 'DE' };
/** OFAC SDN 2686 as listed, with the date of birth of the list (HIGH). */
const listedPerson = { name: 'Hasan Nasrallah', dateOfBirth: '1960-08-31', country: 'LB' };
/** A namesake of OFAC SDN 6366 with another date of birth: MEDIUM, for an officer. */
const namesake = { name: 'Usama Bin Laden', dateOfBirth: '1980-01-01', country: 'DE' };
/** A customer's exposure limit of 10,000.00 EUR, so a second loan of the README's applicant exceeds it. */
const maxCustomerExposureMinor = 1_000_000n;

for (const { engine, available, reason } of engines) {
  describe.skipIf(!available)(`loan approval end to end on ${engine}${available ? '' : ` (skipped: ${reason})`}`, () => {
    let ps: TestPlatform;
    beforeAll(async () => {
      ps = await startTestPlatform(engine, { tuning: { loans: { exposureLimits: { maxCustomerExposureMinor } } } });
    }, 180_000);
    afterAll(async () => ps?.close(), 60_000);
    afterEach(async () => assertLoanInvariants(ps.platform.backbone.db));

    it('approves the README example and pays the loan into the account once', async () => {
      const account = await ps.openAccount('Maria Schneider', { deposit: '3000.00' });
      const { applicationId, sagaId } = await apply(ps, readmeApplication(account, 'Maria Schneider'));
      const decided = await decidedApplication(ps, applicationId);
      expect(decided).toMatchObject({ status: 'APPROVED', reason: null, amount: '5000.00', currency: 'EUR', termMonths: 24 });
      expect(decided.steps.map((step: JsonBody) => [step.name, step.outcome])).toEqual([
        ['START', 'PASSED'],
        ['KYC_CHECK', 'PASSED'],
        ['CREDIT_SCORE', 'PASSED'],
        ['RISK_ASSESSMENT', 'PASSED'],
        ['APPROVED', 'PASSED'],
      ]);
      expect(decided.steps.every((step: JsonBody) => step.endedAt >= step.startedAt)).toBe(true);
      expect(await ps.account(account)).toMatchObject({ balance: '8000.00', reserved: '0.00' });
      const saga = await ps.api('GET', `/v1/sagas/${sagaId}`);
      expect(saga.body).toMatchObject({ sagaType: 'loan-approval', status: 'COMPLETED' });
    });

    it('answers the same application again for the same Idempotency-Key and refuses a different body with it', async () => {
      const account = await ps.openAccount('Jonas Weber', { deposit: '3000.00' });
      const key = randomBytes(8).toString('hex');
      const body = readmeApplication(account, 'Jonas Weber');
      const first = await apply(ps, body, key);
      const again = await ps.api('POST', '/v1/loan-applications', body, { 'idempotency-key': key });
      expect(again.status).toBe(202);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.applicationId).toBe(first.applicationId);
      const other = await ps.api('POST', '/v1/loan-applications', { ...body, amount: '5001.00' }, { 'idempotency-key': key });
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('idempotency-key-reused');
      expect(await decidedApplication(ps, first.applicationId)).toMatchObject({ status: 'APPROVED' });
      expect(await ps.account(account)).toMatchObject({ balance: '8000.00' });
    });

    it('refuses bad input with a precise problem and an account of another bank with 422', async () => {
      const account = await ps.openAccount('Lena Fischer', { deposit: '100.00' });
      const young = await ps.api(
        'POST',
        '/v1/loan-applications',
        {
          ...readmeApplication(account, 'Lena Fischer'),
          applicant: { ...readmeApplication(account, 'Lena Fischer').applicant, dateOfBirth: '2020-01-01' },
        },
        { 'idempotency-key': randomBytes(8).toString('hex') },
      );
      expect(young.status).toBe(400);
      expect(young.body).toMatchObject({ code: 'invalid-field', pointer: '/applicant/dateOfBirth' });
      const decimals = await ps.api(
        'POST',
        '/v1/loan-applications',
        { ...readmeApplication(account, 'Lena Fischer'), amount: '10.001' },
        { 'idempotency-key': randomBytes(8).toString('hex') },
      );
      expect(decimals.body).toMatchObject({ status: 422, code: 'too-many-decimals', pointer: '/amount' });
      const elsewhere = await ps.api('POST', '/v1/loan-applications', readmeApplication('FR1420041010050500013M02606', 'Lena Fischer'), {
        'idempotency-key': randomBytes(8).toString('hex'),
      });
      expect(elsewhere.body).toMatchObject({ status: 422, code: 'unknown-applicant-account', pointer: '/applicant/account' });
      const unauthenticated = await ps.api('GET', '/v1/loan-applications/nope', undefined, { authorization: 'Bearer nope' });
      expect(unauthenticated.status).toBe(401);
    });

    it('refuses a listed person at KYC_CHECK, releases the reservation and tells the applicant nothing of why', async () => {
      const account = await ps.openAccount(listedPerson.name, { deposit: '3000.00' });
      const { applicationId, sagaId } = await apply(ps, {
        ...readmeApplication(account, listedPerson.name),
        applicant: { ...applicant(account, listedPerson.name), ...listedPerson },
      });
      const decided = await decidedApplication(ps, applicationId);
      expect(decided).toMatchObject({ status: 'REJECTED', reason: { code: 'LOAN_NOT_APPROVED' } });
      expect(JSON.stringify(decided)).not.toMatch(/sanction|PEP|OFAC|screening|match/i);
      const saga = await ps.api('GET', `/v1/sagas/${sagaId}`);
      expect(saga.body.status).toBe('COMPENSATED');
      expect(saga.body.steps.at(-1)).toMatchObject({
        name: 'KYC_CHECK',
        outcome: 'FAILED',
        reason: expect.stringContaining('OFAC-SDN 2686'),
      });
      expect(saga.body.compensations.map((c: JsonBody) => [c.name, c.outcome])).toEqual([['RELEASE_RESERVATIONS', 'SUCCEEDED']]);
      expect(await ps.account(account)).toMatchObject({ balance: '3000.00', reserved: '0.00' });
    });

    it('holds a namesake for a compliance officer, who approves: the loan is then paid out', async () => {
      const account = await ps.openAccount(namesake.name, { deposit: '3000.00' });
      const { applicationId } = await apply(ps, {
        ...readmeApplication(account, namesake.name),
        applicant: { ...applicant(account, namesake.name), ...namesake },
      });
      const kase = await openCaseOf(ps, applicationId);
      expect((await ps.api('GET', `/v1/loan-applications/${applicationId}`)).body).toMatchObject({ status: 'PENDING' });
      const decision = await ps.api('POST', `/v1/compliance/cases/${kase.caseId}/decision`, {
        decision: 'approve',
        reason: 'another person: date of birth differs',
      });
      expect(decision.status, JSON.stringify(decision.body)).toBe(200);
      expect(await decidedApplication(ps, applicationId)).toMatchObject({ status: 'APPROVED' });
      expect(await ps.account(account)).toMatchObject({ balance: '8000.00' });
    });

    it('holds a namesake for a compliance officer, who rejects: the reservation is released', async () => {
      const account = await ps.openAccount(namesake.name, { deposit: '3000.00' });
      const { applicationId, sagaId } = await apply(ps, {
        ...readmeApplication(account, namesake.name),
        applicant: { ...applicant(account, namesake.name), ...namesake },
      });
      const kase = await openCaseOf(ps, applicationId);
      const decision = await ps.api('POST', `/v1/compliance/cases/${kase.caseId}/decision`, {
        decision: 'reject',
        reason: 'confirmed match',
      });
      expect(decision.status, JSON.stringify(decision.body)).toBe(200);
      const decided = await decidedApplication(ps, applicationId);
      expect(decided).toMatchObject({ status: 'REJECTED', reason: { code: 'LOAN_NOT_APPROVED' } });
      const saga = await ps.api('GET', `/v1/sagas/${sagaId}`);
      expect(saga.body.steps.at(-1)).toMatchObject({ name: 'KYC_CHECK', outcome: 'FAILED' });
      expect(await ps.account(account)).toMatchObject({ balance: '3000.00', reserved: '0.00' });
      // No payment was rejected for it: the case answered the loan, not a payment.
      expect((await ps.api('GET', `/v1/payments/${applicationId}`)).status).toBe(404);
    });

    it('refuses a debt ratio above the maximum at CREDIT_SCORE and releases the reservation', async () => {
      const account = await ps.openAccount('Paul Becker', { deposit: '3000.00' });
      const { applicationId, sagaId } = await apply(ps, {
        ...readmeApplication(account, 'Paul Becker'),
        declaredMonthlyIncome: '1000.00',
        declaredMonthlyDebts: '600.00',
      });
      const decided = await decidedApplication(ps, applicationId);
      expect(decided).toMatchObject({ status: 'REJECTED', reason: { code: 'LOAN_NOT_APPROVED' } });
      expect(decided.steps.map((step: JsonBody) => [step.name, step.outcome])).toEqual([
        ['START', 'PASSED'],
        ['KYC_CHECK', 'PASSED'],
        ['CREDIT_SCORE', 'NOT_PASSED'],
        ['RELEASE_RESERVATIONS', 'PASSED'],
      ]);
      const saga = await ps.api('GET', `/v1/sagas/${sagaId}`);
      expect(saga.body.steps.at(-1).reason).toMatch(/debt-to-income .* is above the maximum/);
      expect(await ps.account(account)).toMatchObject({ balance: '3000.00', reserved: '0.00' });
    });

    it("refuses a loan over the customer's exposure limit at RISK_ASSESSMENT and releases its reservation", async () => {
      const account = await ps.openAccount('Sophie Wagner', { deposit: '3000.00' });
      const first = await apply(ps, readmeApplication(account, 'Sophie Wagner'));
      expect(await decidedApplication(ps, first.applicationId)).toMatchObject({ status: 'APPROVED' });
      const second = await apply(ps, { ...readmeApplication(account, 'Sophie Wagner'), amount: '6000.00' });
      const decided = await decidedApplication(ps, second.applicationId);
      expect(decided.status).toBe('REJECTED');
      const saga = await ps.api('GET', `/v1/sagas/${second.sagaId}`);
      expect(saga.body.steps.at(-1)).toMatchObject({
        name: 'RISK_ASSESSMENT',
        outcome: 'FAILED',
        reason: expect.stringMatching(/customer exposure limit/),
      });
      expect(saga.body.compensations.map((c: JsonBody) => c.name)).toEqual(['RELEASE_RESERVATIONS']);
      expect(await ps.account(account)).toMatchObject({ balance: '8000.00', reserved: '0.00' });
    });
  });
}

describeWithRabbitMQ('loan approval end to end with the saga commands over RabbitMQ', () => {
  let ps: TestPlatform;
  /** KYC_CHECK's deadlines add up to 4 s here, so an undecided case ends its application within the test. */
  const kycDecisionDeadlineMs = 4_000;
  beforeAll(async () => {
    ps = await startTestPlatform('embedded', { sagaCommands: 'rabbitmq', tuning: { loans: { kycDecisionDeadlineMs } } });
  }, 180_000);
  afterAll(async () => ps?.close(), 60_000);
  afterEach(async () => assertLoanInvariants(ps.platform.backbone.db));

  /** How many commands of a saga each participant took from its RabbitMQ queue (a command's id starts with its saga's). */
  const handledFromRabbitMQ = async (sagaId: string) =>
    (
      await ps.platform.backbone.db.query<{ participant: string; commands: number }>(
        `select participant, count(distinct command_id)::int as commands from saga_command_handled
          where command_id like $1 group by participant order by participant`,
        [`${sagaId}/%`],
      )
    ).rows;

  it('approves the README example: every command went through RabbitMQ, and the relay has nothing left', async () => {
    const account = await ps.openAccount('Maria Schneider', { deposit: '3000.00' });
    const { applicationId, sagaId } = await apply(ps, readmeApplication(account, 'Maria Schneider'));
    expect(await decidedApplication(ps, applicationId)).toMatchObject({ status: 'APPROVED' });
    expect(await ps.account(account)).toMatchObject({ balance: '8000.00', reserved: '0.00' });
    expect(await handledFromRabbitMQ(sagaId)).toEqual([
      { participant: 'ledger-loans', commands: 2 },
      { participant: 'loans', commands: 3 },
    ]);
    const metrics = await (await fetch(`${ps.url}/metrics`)).text();
    expect(metrics).toMatch(/^paystream_saga_command_backlog_rows 0$/m);
  });

  it('rejects a debt ratio above the maximum at CREDIT_SCORE and releases the reservation through RabbitMQ', async () => {
    const account = await ps.openAccount('Paul Becker', { deposit: '3000.00' });
    const { applicationId, sagaId } = await apply(ps, {
      ...readmeApplication(account, 'Paul Becker'),
      declaredMonthlyIncome: '1000.00',
      declaredMonthlyDebts: '600.00',
    });
    expect(await decidedApplication(ps, applicationId)).toMatchObject({ status: 'REJECTED', reason: { code: 'LOAN_NOT_APPROVED' } });
    expect(await ps.account(account)).toMatchObject({ balance: '3000.00', reserved: '0.00' });
    // START, KYC_CHECK, CREDIT_SCORE and the release.
    expect(await handledFromRabbitMQ(sagaId)).toEqual([
      { participant: 'ledger-loans', commands: 2 },
      { participant: 'loans', commands: 2 },
    ]);
  });

  it("withdraws a namesake's case no officer decided when the saga gives up on it; a late decision is a 409 case-withdrawn", async () => {
    const account = await ps.openAccount(namesake.name, { deposit: '3000.00' });
    const { applicationId } = await apply(ps, {
      ...readmeApplication(account, namesake.name),
      applicant: { ...applicant(account, namesake.name), ...namesake },
    });
    const kase = await openCaseOf(ps, applicationId);
    expect(await decidedApplication(ps, applicationId, 60_000 + kycDecisionDeadlineMs)).toMatchObject({ status: 'REJECTED' });
    const withdrawn = await ps.api('GET', '/v1/compliance/cases?status=withdrawn&limit=500');
    expect(withdrawn.body.cases.find((listed: JsonBody) => listed.caseId === kase.caseId)).toMatchObject({
      status: 'withdrawn',
      decidedBy: 'loan-approval saga',
      decisionReason: expect.stringContaining('the loan application ended before a KYC decision'),
    });
    const late = await ps.api('POST', `/v1/compliance/cases/${kase.caseId}/decision`, { decision: 'approve', reason: 'too late' });
    expect(late.status).toBe(409);
    expect(late.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(late.body).toMatchObject({ code: 'case-withdrawn' });
    expect(await ps.account(account)).toMatchObject({ balance: '3000.00', reserved: '0.00' });
  });
});

function applicant(account: string, name: string) {
  return { name, dateOfBirth: '1985-04-12', country: 'DE', postalAddress: berlin, account };
}

/** The README's example: 5000.00 EUR over 24 months, 4000.00 income, 300.00 debts. */
function readmeApplication(account: string, name: string) {
  return {
    applicant: applicant(account, name),
    amount: '5000.00',
    currency: 'EUR',
    termMonths: 24,
    declaredMonthlyIncome: '4000.00',
    declaredMonthlyDebts: '300.00',
  };
}

async function apply(
  ps: TestPlatform,
  body: unknown,
  key = randomBytes(8).toString('hex'),
): Promise<{ applicationId: string; sagaId: string }> {
  const response = await ps.api('POST', '/v1/loan-applications', body, { 'idempotency-key': key });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  expect(response.body.status).toBe('PENDING');
  return response.body;
}

async function decidedApplication(ps: TestPlatform, applicationId: string, timeoutMs = 60_000): Promise<JsonBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await ps.api('GET', `/v1/loan-applications/${applicationId}`);
    expect(view.status, JSON.stringify(view.body)).toBe(200);
    if (view.body.status !== 'PENDING') return view.body;
    if (Date.now() > deadline)
      throw new Error(`loan application ${applicationId} still PENDING after ${timeoutMs} ms: ${JSON.stringify(view.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function openCaseOf(ps: TestPlatform, applicationId: string, timeoutMs = 60_000): Promise<JsonBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await ps.api('GET', '/v1/compliance/cases?status=open&limit=500');
    const found = open.body.cases.find((kase: JsonBody) => kase.paymentId === applicationId);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no open case for loan application ${applicationId}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
