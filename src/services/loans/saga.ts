import type { SagaDefinition } from '../../backbone/saga/index.ts';
import { LoanCommandNames, LoanTopics } from '../../contracts/loans.ts';
import type { ResolvedLoansOptions } from './options.ts';

export const loanApprovalSagaType = 'loan-approval';

/** Sends of a step before it has failed: the first and two re-sends after a deadline. */
export const loanStepMaxAttempts = 3;

/**
 * The loan approval (docs/loans.md), as the issue and the source article name its states:
 *
 *   START → KYC_CHECK → CREDIT_SCORE → RISK_ASSESSMENT → APPROVED
 *   failure: REVERT_RISK → RELEASE_RESERVATIONS → APPLICATION_REJECTED
 *
 * START reserves the amount in the ledger (undone by RELEASE_RESERVATIONS); RISK_ASSESSMENT
 * records the exposure (undone by REVERT_RISK); APPROVED pays the loan out. KYC_CHECK and
 * CREDIT_SCORE change nothing to undo. APPLICATION_REJECTED is the saga compensated: the
 * application's view becomes REJECTED in that transaction (`onTransition`).
 *
 * KYC_CHECK may wait for a compliance officer: its deadlines (each send waits twice the one before)
 * add up to `kycDecisionDeadlineMs` over its sends, so an undecided case rejects the application
 * after that long at most, never sooner than the officer was promised.
 */
export function loanApprovalSaga(options: ResolvedLoansOptions): SagaDefinition {
  const kycFirstDeadlineMs = Math.ceil(options.kycDecisionDeadlineMs / (2 ** loanStepMaxAttempts - 1));
  return {
    type: loanApprovalSagaType,
    steps: [
      { name: LoanCommandNames.reserve, commandTopic: LoanTopics.ledgerCommands, compensation: LoanCommandNames.releaseReservation },
      { name: LoanCommandNames.kyc, commandTopic: LoanTopics.loanCommands, timeoutMs: kycFirstDeadlineMs },
      { name: LoanCommandNames.creditScore, commandTopic: LoanTopics.loanCommands },
      { name: LoanCommandNames.riskAssessment, commandTopic: LoanTopics.loanCommands, compensation: LoanCommandNames.revertRisk },
      // The pivot: a loan paid out is not taken back by a release, so silence is never a failure here.
      { name: LoanCommandNames.disburse, commandTopic: LoanTopics.ledgerCommands, onSilence: 'keep-sending' },
    ],
    stepTimeoutMs: options.stepTimeoutMs,
    maxAttempts: loanStepMaxAttempts,
    compensation: {
      maxAttempts: options.compensationMaxAttempts,
      retryDelayMs: options.compensationRetryDelayMs,
      timeoutMs: options.compensationTimeoutMs,
    },
  };
}
