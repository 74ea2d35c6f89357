/**
 * What an applicant is told of a decision. A refusal reads the same whichever check refused it:
 * telling an applicant that a sanctions or PEP screening stopped the application is tipping off
 * (src/contracts/customer-view.ts), and a KYC refusal must not read differently from a credit or
 * a limit refusal, or its difference would tell. The participant's reason stays in the saga's
 * history for operators (`GET /v1/sagas/{sagaId}`, scope `ops`).
 */
export const LoanCustomerReasons = {
  notApproved: {
    code: 'LOAN_NOT_APPROVED',
    text: 'The application does not meet the bank’s lending criteria at this time; no amount was paid out.',
  },
} as const;

export type LoanApplicationStatus = 'PENDING' | 'APPROVED' | 'REJECTED';

/** A step of the application as the applicant sees it: when it ran and whether it passed, never why not. */
export type CustomerStepOutcome = 'PENDING' | 'PASSED' | 'NOT_PASSED';

export function customerStepOutcome(sagaOutcome: string): CustomerStepOutcome {
  if (sagaOutcome === 'SUCCEEDED') return 'PASSED';
  if (sagaOutcome === 'PENDING') return 'PENDING';
  return 'NOT_PASSED';
}
