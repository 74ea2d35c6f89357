import type { Clock } from '../../backbone/clock/clock.ts';
import type { IdGenerator } from '../../backbone/clock/clock.ts';
import type { EventHandler } from '../../backbone/consumer/handler.ts';
import { permanentError } from '../../backbone/errors.ts';
import type { NewEvent } from '../../backbone/envelope/event-encoder.ts';
import { sagaReplyTo, type SagaParticipantHandler, type SagaTransition } from '../../backbone/saga/index.ts';
import type { SqlRunner } from '../../backbone/storage/database.ts';
import {
  LoanCommandNames,
  LoanTopics,
  loanKycDecisionOf,
  loanSagaDataOf,
  type LoanApplicationDecided,
  type LoanKycDecision,
  type LoanSagaData,
} from '../../contracts/loans.ts';
import { openCase, withdrawCase } from '../compliance-cases/index.ts';
import { accountHistory } from '../ledger/index.ts';
import type { Party, ScreeningResult } from '../screening/index.ts';
import type { EventPublisher } from '../service.ts';
import { LoanCustomerReasons } from './domain/customer-view.ts';
import { decideExposure } from './domain/exposure.ts';
import { scoreApplication } from './domain/scorecard.ts';
import {
  commandAnswer,
  customerExposure,
  decideApplication,
  findApplication,
  findApplicationBySaga,
  findExposure,
  insertExposure,
  insertKycCheck,
  lockExposureTotal,
  lockKycCheck,
  moveExposureTotal,
  recordCommandAnswer,
  recordCreditScore,
  resolveKycCheck,
  revertExposure,
} from './loans-store.ts';
import type { ResolvedLoansOptions } from './options.ts';

export interface LoanHandlerDeps {
  options: ResolvedLoansOptions;
  screenApplicant: (party: Party) => ScreeningResult;
  clock: Clock;
  ids: IdGenerator;
}

type Answer = { ok: boolean; reason?: string };

/**
 * The loans service's participants (`loans.saga-commands.v1`): KYC_CHECK, CREDIT_SCORE,
 * RISK_ASSESSMENT and its compensation REVERT_RISK. Each answers a command it answered before the
 * same way and does nothing else (KYC: its check's record; the others: `loan_command_answers`),
 * so re-sends and redeliveries apply no effect twice.
 */
export function loanParticipant(deps: LoanHandlerDeps): SagaParticipantHandler {
  return async (command, { tx, reply }) => {
    const loan = loanSagaDataOf(command.data);
    if (command.name === LoanCommandNames.kyc) return checkKyc(deps, tx, command, loan, reply);
    // Risk and its revert serialise on the currency's totals row first, duplicates of a command included.
    const risky = command.name === LoanCommandNames.riskAssessment || command.name === LoanCommandNames.revertRisk;
    const totalMinor = risky ? await lockExposureTotal(tx, loan.currency) : 0n;
    const answered = await commandAnswer(tx, command.commandId);
    if (answered) return reply(answered.ok, answered.reason ?? undefined);
    let answer: Answer;
    if (command.name === LoanCommandNames.creditScore) answer = await scoreCredit(deps, tx, loan);
    else if (command.name === LoanCommandNames.riskAssessment) answer = await assessRisk(deps, tx, loan, totalMinor);
    else if (command.name === LoanCommandNames.revertRisk) answer = await revertRisk(tx, loan);
    else throw permanentError(`the loans service has no command ${command.name}`);
    await recordCommandAnswer(tx, command.commandId, answer.ok, answer.reason ?? null);
    reply(answer.ok, answer.reason);
  };
}

/**
 * KYC_CHECK: screens the applicant (sanctions, PEP). LOW passes; HIGH is refused; MEDIUM opens a
 * compliance case and answers nothing until the officer decides (`kycDecisionHandler`), however
 * often the command is re-sent meanwhile. The reason, for operators, names the band and the list
 * entries, never the applicant.
 */
async function checkKyc(
  deps: LoanHandlerDeps,
  tx: SqlRunner,
  command: Parameters<SagaParticipantHandler>[0],
  loan: LoanSagaData,
  reply: (ok: boolean, reason?: string) => void,
): Promise<void> {
  const check = await lockKycCheck(tx, loan.applicationId);
  if (check) {
    // Withdrawn: the application ended first; the saga no longer waits for this answer.
    if (check.status === 'pending') return;
    return reply(check.status === 'passed', check.reason ?? undefined);
  }
  const application = await findApplication(tx, loan.applicationId);
  if (!application) throw permanentError(`no loan application ${loan.applicationId}`);
  const { applicant } = application;
  const result = deps.screenApplicant({
    name: applicant.name,
    country: applicant.country,
    dateOfBirth: applicant.dateOfBirth,
    account: application.account,
  });
  const entries = result.matches
    .slice(0, 3)
    .map((match) => `${match.list} ${match.entryId}`)
    .join(', ');
  if (result.band === 'LOW') {
    await insertKycCheck(tx, loan.applicationId, { command, status: 'passed', caseId: null, reason: null });
    return reply(true);
  }
  if (result.band === 'HIGH') {
    const reason = `applicant screening ${result.band}${result.pep ? ' (PEP)' : ''}: ${entries}`;
    await insertKycCheck(tx, loan.applicationId, { command, status: 'refused', caseId: null, reason });
    return reply(false, reason);
  }
  const caseId = deps.ids.eventId();
  const decision = (kind: LoanKycDecision['decision']): NewEvent => ({
    topic: LoanTopics.kycDecisions,
    eventType: 'LoanKycDecision',
    key: command.sagaId,
    payload: { applicationId: loan.applicationId, caseId, decision: kind } satisfies LoanKycDecision,
  });
  await openCase(tx, {
    caseId,
    paymentId: loan.applicationId,
    debtorAccount: loan.account,
    correlationId: command.sagaId,
    stage: 'SCREENING',
    reason: `loan applicant: possible ${result.pep ? 'PEP' : 'sanctions'} match (${result.band}), ${entries}`,
    evidence: {
      subject: 'loan-application',
      applicationId: loan.applicationId,
      band: result.band,
      score: result.score,
      pep: result.pep,
      matches: result.matches,
      listVersions: result.listVersions,
    },
    onApprove: decision('APPROVE'),
    onReject: decision('REJECT'),
    amountMinor: loan.amountMinor,
    currency: loan.currency,
  });
  await insertKycCheck(tx, loan.applicationId, { command, status: 'pending', caseId, reason: null });
}

/**
 * A compliance officer decided an applicant's KYC case (`loans.kyc-decisions.v1`): the check
 * passes or is refused, and the KYC command waiting for it is answered, once.
 */
export function kycDecisionHandler(): EventHandler {
  return async (event, { tx, emit }) => {
    const decided = loanKycDecisionOf(event.payload);
    const check = await lockKycCheck(tx, decided.applicationId);
    if (!check?.command || check.status !== 'pending' || check.caseId !== decided.caseId) return;
    const ok = decided.decision === 'APPROVE';
    const reason = ok ? null : `applicant screening: case ${decided.caseId} rejected by a compliance officer`;
    await resolveKycCheck(tx, decided.applicationId, ok ? 'passed' : 'refused', reason);
    emit(sagaReplyTo(check.command, ok, reason ?? undefined));
  };
}

/** CREDIT_SCORE: the scorecard on the declared income and debts and the account's standing in the ledger. */
async function scoreCredit(deps: LoanHandlerDeps, tx: SqlRunner, loan: LoanSagaData): Promise<Answer> {
  const application = await findApplication(tx, loan.applicationId);
  if (!application) throw permanentError(`no loan application ${loan.applicationId}`);
  const history = await accountHistory(tx, loan.account);
  if (!history || history.status !== 'open' || history.currency !== loan.currency)
    return { ok: false, reason: 'the account is not an open account of this bank in the loan currency' };
  const ageDays = Math.max(0, Math.floor((deps.clock.nowMs() - history.openedAt.getTime()) / 86_400_000));
  const decision = scoreApplication(
    {
      amountMinor: application.amountMinor,
      termMonths: application.termMonths,
      declaredMonthlyIncomeMinor: application.monthlyIncomeMinor,
      declaredMonthlyDebtsMinor: application.monthlyDebtsMinor,
    },
    { balanceMinor: history.balanceMinor, ageDays },
    deps.options.scorecard,
  );
  await recordCreditScore(tx, loan.applicationId, decision.score, decision.reasons);
  return decision.kind === 'pass' ? { ok: true } : { ok: false, reason: `credit score: ${decision.reason}` };
}

/** RISK_ASSESSMENT: records the loan's exposure if the customer's and the total limits allow it. */
async function assessRisk(deps: LoanHandlerDeps, tx: SqlRunner, loan: LoanSagaData, totalMinor: bigint): Promise<Answer> {
  const existing = await findExposure(tx, loan.applicationId);
  // A revert that overtook its command (a re-send after the step failed) leaves a reverted record: refused.
  if (existing) return existing.state === 'recorded' ? { ok: true } : { ok: false, reason: 'the exposure was reverted already' };
  const decision = decideExposure(
    { customerExposureMinor: await customerExposure(tx, loan.account, loan.currency), totalExposureMinor: totalMinor },
    loan.amountMinor,
    deps.options.exposureLimits,
  );
  if (decision.kind === 'refuse') return { ok: false, reason: `risk assessment: ${decision.reason}` };
  await insertExposure(tx, { ...loan, state: 'recorded' });
  await moveExposureTotal(tx, loan.currency, loan.amountMinor);
  return { ok: true };
}

/** REVERT_RISK: removes the loan's exposure; one never recorded is marked reverted, so a late record is refused. */
async function revertRisk(tx: SqlRunner, loan: LoanSagaData): Promise<Answer> {
  const existing = await findExposure(tx, loan.applicationId);
  if (!existing) {
    await insertExposure(tx, { ...loan, state: 'reverted' });
  } else if (existing.state === 'recorded') {
    await revertExposure(tx, loan.applicationId);
    await moveExposureTotal(tx, loan.currency, -existing.amountMinor);
  }
  return { ok: true };
}

/** Who withdraws a KYC case whose application ended undecided, as the case records it. */
export const kycCaseWithdrawnBy = 'loan-approval saga';

/**
 * The saga gave up on a step (KYC_CHECK unanswered after its last send, its deadlines spent, or any
 * later refusal): the application will be rejected, so an applicant's KYC case still waiting for
 * an officer is withdrawn, with its check, in this transaction. No officer decides a case whose
 * application has ended (a late decision is a 409 `case-withdrawn`), and the queue keeps only
 * cases that matter. An application with no check yet gets a withdrawn one, so a KYC command that
 * arrives late opens no case. A case decided first keeps its decision; its event then finds the
 * check withdrawn and answers nothing.
 */
async function withdrawUndecidedKyc(tx: SqlRunner, transition: SagaTransition, clock: Clock): Promise<void> {
  const { applicationId } = loanSagaDataOf(transition.state.data);
  const check = await lockKycCheck(tx, applicationId);
  if (check && check.status !== 'pending') return;
  const failed = transition.events.find((event) => event.type === 'StepFailed');
  const reason = `the loan application ended before a KYC decision (${failed?.type === 'StepFailed' ? failed.reason : 'its saga failed'})`;
  if (!check) return insertKycCheck(tx, applicationId, { command: null, status: 'withdrawn', caseId: null, reason });
  await resolveKycCheck(tx, applicationId, 'withdrawn', reason);
  if (check.caseId !== null) await withdrawCase(tx, { caseId: check.caseId, withdrawnBy: kycCaseWithdrawnBy, reason, atMs: clock.nowMs() });
}

/**
 * The application's view, kept by the orchestrator's `onTransition` in the transaction of each
 * change of its saga: APPROVED when the saga completes (the loan was paid out in that step),
 * REJECTED once every compensation ran (APPLICATION_REJECTED), with the neutral customer reason
 * whichever step refused; `loans.application-decided.v1` tells the rest of the bank, once.
 */
export function applicationView(deps: { publisher: EventPublisher; clock: Clock }) {
  return async (tx: SqlRunner, transition: SagaTransition): Promise<void> => {
    if (transition.outcome === 'failed-start-compensating') await withdrawUndecidedKyc(tx, transition, deps.clock);
    // By the state, not the outcome: a refusal at START has nothing to undo, and its one
    // transition ends the saga COMPENSATED with the outcome `failed-start-compensating`.
    const { status: sagaStatus } = transition.state;
    if (sagaStatus !== 'COMPLETED' && sagaStatus !== 'COMPENSATED') return;
    const application = await findApplicationBySaga(tx, transition.sagaId);
    if (!application) return;
    const status = sagaStatus === 'COMPLETED' ? 'APPROVED' : 'REJECTED';
    const reasonCode = status === 'APPROVED' ? null : LoanCustomerReasons.notApproved.code;
    if (!(await decideApplication(tx, application.applicationId, status, reasonCode, new Date(deps.clock.nowMs())))) return;
    const decided: LoanApplicationDecided = {
      applicationId: application.applicationId,
      account: application.account,
      status,
      amountMinor: application.amountMinor,
      currency: application.currency,
      reasonCode,
    };
    await deps.publisher.publish(
      tx,
      [{ topic: LoanTopics.applicationDecided, eventType: 'LoanApplicationDecided', key: application.account, payload: decided }],
      { correlationId: transition.sagaId },
    );
  };
}
