import type { FastifyInstance } from 'fastify';
import type { Clock, IdGenerator } from '../../backbone/clock/clock.ts';
import type { Database } from '../../backbone/storage/database.ts';
import { readSagaInstance, type SagaOrchestrator } from '../../backbone/saga/index.ts';
import type { LoanSagaData } from '../../contracts/loans.ts';
import { formatDecimal } from '../../contracts/money.ts';
import { idempotencyKeyHeaders, idempotencyKeyOf, requestDigest, sendAccepted } from '../http/idempotency.ts';
import { problemResponses } from '../http/openapi.ts';
import { ProblemError, sendProblem, problemOf } from '../http/problem.ts';
import { Scopes, type RequireScope } from '../http/scopes.ts';
import { customerAccounts } from '../ledger/index.ts';
import { LoanCustomerReasons, customerStepOutcome } from './domain/customer-view.ts';
import { checkLoanRequest, maxTermMonths, type LoanRequestBody } from './domain/loan-request.ts';
import { findApplication, insertApplication, type LoanApplicationRow } from './loans-store.ts';

export interface LoanRoutesOptions {
  db: Database;
  ids: IdGenerator;
  clock: Clock;
  orchestrator: SagaOrchestrator;
  requireScope: RequireScope;
}

const amountField = (description: string) => ({ type: 'string', pattern: '^[0-9]{1,18}(\\.[0-9]+)?$', description });

const loanRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['applicant', 'amount', 'currency', 'termMonths', 'declaredMonthlyIncome', 'declaredMonthlyDebts'],
  properties: {
    applicant: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'dateOfBirth', 'country', 'postalAddress', 'account'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 140 },
        dateOfBirth: { type: 'string', description: 'YYYY-MM-DD; the applicant must be of age' },
        country: { type: 'string', description: 'ISO 3166-1 alpha-2 country of residence' },
        postalAddress: {
          type: 'object',
          additionalProperties: false,
          required: ['townName', 'country'],
          properties: {
            streetName: { type: 'string', maxLength: 70 },
            buildingNumber: { type: 'string', maxLength: 16 },
            postCode: { type: 'string', maxLength: 16 },
            townName: { type: 'string', minLength: 1, maxLength: 35 },
            country: { type: 'string' },
          },
        },
        account: { type: 'string', maxLength: 42, description: 'The IBAN of the applicant’s account at this bank, where the loan is paid' },
      },
    },
    amount: amountField('The amount asked, a decimal string in `currency`'),
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217; the account’s currency' },
    termMonths: { type: 'integer', minimum: 1, maximum: maxTermMonths },
    declaredMonthlyIncome: amountField('Net monthly income, as declared'),
    declaredMonthlyDebts: amountField('Monthly repayments of other debts, as declared (0 if none)'),
  },
} as const;

const acceptedSchema = {
  type: 'object',
  required: ['applicationId', 'sagaId', 'status', 'links'],
  properties: {
    applicationId: { type: 'string' },
    sagaId: { type: 'string', description: 'The loan approval saga (operators: `GET /v1/sagas/{sagaId}`)' },
    status: { type: 'string', enum: ['PENDING', 'APPROVED', 'REJECTED'] },
    links: { type: 'object', properties: { self: { type: 'string' } } },
  },
} as const;

const stepSchema = {
  type: 'object',
  required: ['name', 'startedAt', 'endedAt', 'outcome'],
  properties: {
    name: { type: 'string', description: 'KYC_CHECK, CREDIT_SCORE, ...; the undoing of a step (REVERT_RISK, RELEASE_RESERVATIONS) too' },
    startedAt: { type: 'string', format: 'date-time' },
    endedAt: { type: ['string', 'null'], format: 'date-time' },
    outcome: { type: 'string', enum: ['PENDING', 'PASSED', 'NOT_PASSED'] },
  },
} as const;

const applicationSchema = {
  type: 'object',
  required: ['applicationId', 'sagaId', 'status', 'reason', 'amount', 'currency', 'termMonths', 'createdAt', 'decidedAt', 'steps'],
  properties: {
    applicationId: { type: 'string' },
    sagaId: { type: 'string' },
    status: { type: 'string', enum: ['PENDING', 'APPROVED', 'REJECTED'] },
    reason: {
      type: ['object', 'null'],
      description: 'Why it was not approved, as the applicant may be told; null unless REJECTED',
      properties: { code: { type: 'string' }, text: { type: 'string' } },
    },
    amount: { type: 'string' },
    currency: { type: 'string' },
    termMonths: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    decidedAt: { type: ['string', 'null'], format: 'date-time' },
    steps: { type: 'array', items: stepSchema, description: 'The steps run so far, in the order they started' },
  },
} as const;

/** `POST /v1/loan-applications` (202 at once) and `GET /v1/loan-applications/{applicationId}`. */
export function loanRoutes(options: LoanRoutesOptions) {
  const { db, ids, clock, orchestrator, requireScope } = options;
  return async (app: FastifyInstance) => {
    app.post<{ Body: LoanRequestBody }>(
      '/v1/loan-applications',
      {
        preValidation: requireScope(Scopes.loansWrite),
        schema: {
          tags: ['loans'],
          operationId: 'applyForLoan',
          summary: 'Apply for a loan paid into an account at this bank; answered 202 at once, decided asynchronously',
          description:
            'The same Idempotency-Key with the same body answers the same application again; with a different body it is refused (422).',
          headers: idempotencyKeyHeaders('application'),
          body: loanRequestSchema,
          response: { 202: acceptedSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 503) },
        },
      },
      async (request, reply) => {
        const idempotencyKey = idempotencyKeyOf(request);
        const checked = checkLoanRequest(request.body, new Date(clock.nowMs()).toISOString().slice(0, 10));
        const apiKeyId = request.principal!.keyId;
        const requestSha256 = requestDigest(request.body);
        const outcome = await db.transaction(async (tx) => {
          const account = (await customerAccounts(tx, [checked.applicant.account])).get(checked.applicant.account);
          if (!account || account.status !== 'open')
            return problemOf('unknown-applicant-account', 'the account is not an open account of this bank', '/applicant/account');
          if (account.currency !== checked.currency)
            return problemOf('currency-mismatch', `the account is in ${account.currency}, the loan in ${checked.currency}`, '/currency');
          const applicationId = ids.eventId();
          const sagaId = ids.eventId();
          const recorded = await insertApplication(tx, {
            applicationId,
            sagaId,
            apiKeyId,
            idempotencyKey,
            requestSha256,
            applicant: checked.applicant,
            account: checked.applicant.account,
            amountMinor: checked.amountMinor,
            currency: checked.currency,
            termMonths: checked.termMonths,
            monthlyIncomeMinor: checked.declaredMonthlyIncomeMinor,
            monthlyDebtsMinor: checked.declaredMonthlyDebtsMinor,
            createdAt: new Date(clock.nowMs()),
          });
          if (!recorded.inserted) {
            if (recorded.existing.requestSha256 !== requestSha256)
              return problemOf('idempotency-key-reused', 'this Idempotency-Key was used with a different application');
            return { replayed: true, application: recorded.existing };
          }
          const data: LoanSagaData = {
            applicationId,
            account: checked.applicant.account,
            amountMinor: checked.amountMinor,
            currency: checked.currency,
          };
          await orchestrator.start(sagaId, data, tx);
          return { replayed: false, application: { applicationId, sagaId, status: 'PENDING' as const } };
        });
        if ('code' in outcome) return sendProblem(reply, outcome);
        const { application } = outcome;
        const self = `/v1/loan-applications/${application.applicationId}`;
        return sendAccepted(
          reply,
          { location: self, replayed: outcome.replayed },
          {
            applicationId: application.applicationId,
            sagaId: application.sagaId,
            status: application.status,
            links: { self },
          },
        );
      },
    );

    app.get<{ Params: { applicationId: string } }>(
      '/v1/loan-applications/:applicationId',
      {
        preValidation: requireScope(Scopes.loansRead),
        schema: {
          tags: ['loans'],
          operationId: 'getLoanApplication',
          summary: 'A loan application: its status, the reason if it was not approved, and its steps with their times',
          description:
            'The applicant’s view: a refusal reads the same whichever check refused it, and the steps show when they ran and whether they passed, never why not. Operators read the saga itself (`GET /v1/sagas/{sagaId}`).',
          params: { type: 'object', properties: { applicationId: { type: 'string', maxLength: 64 } } },
          response: { 200: applicationSchema, ...problemResponses(400, 401, 403, 404, 503) },
        },
      },
      async (request) => {
        const application = await findApplication(db, request.params.applicationId);
        const principal = request.principal!;
        // A key sees the applications it made; an operator key sees all.
        if (!application || (application.apiKeyId !== principal.keyId && !principal.scopes.has(Scopes.ops)))
          throw new ProblemError('not-found', `no loan application ${request.params.applicationId}`);
        return applicationView(application, await readSagaInstance(db, application.sagaId));
      },
    );
  };
}

function applicationView(application: LoanApplicationRow, saga: Awaited<ReturnType<typeof readSagaInstance>>) {
  const activities = saga ? [...saga.steps, ...saga.compensations] : [];
  const steps = activities
    .map((activity) => ({
      name: activity.name,
      startedAt: activity.firstSentAt,
      endedAt: activity.endedAt,
      outcome: customerStepOutcome(activity.outcome),
    }))
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  return {
    applicationId: application.applicationId,
    sagaId: application.sagaId,
    status: application.status,
    reason: application.status === 'REJECTED' ? LoanCustomerReasons.notApproved : null,
    amount: formatDecimal(application.amountMinor, application.currency),
    currency: application.currency,
    termMonths: application.termMonths,
    createdAt: application.createdAt.toISOString(),
    decidedAt: application.decidedAt?.toISOString() ?? null,
    steps,
  };
}
