import { balanced, type AccountState, type Posting } from './ledger.ts';

/**
 * The ledger's part of a loan, as pure decisions: the amount is reserved against the bank's
 * lending capacity in the loan's currency (a hold on the loan-funding account), then either paid
 * out to the applicant's account (double entry, the hold posted) or released. Each hold ends
 * posted or released, once.
 *
 * The lending capacity is what the bank may have lent out in a currency at once: reserved (open
 * holds) plus lent (disbursed) never exceeds it.
 */
export interface LendingCapacity {
  currency: string;
  capacityMinor: bigint;
  /** The open loan holds' total. */
  reservedMinor: bigint;
  /** The disbursed loans' total (the loan-funding account's postings, negated). */
  lentMinor: bigint;
}

export interface LoanHold {
  amountMinor: bigint;
  state: 'held' | 'posted' | 'released';
}

export type LoanReservationDecision = { kind: 'reserve' } | { kind: 'refuse'; reason: string };

/**
 * May `amountMinor` be reserved for a loan paid out to `applicant`? Refused when the bank does not
 * lend in the currency (no capacity configured), when the applicant's account is not an open
 * customer account in the loan's currency, or when the capacity left does not cover the amount.
 */
export function decideLoanReservation(
  capacity: LendingCapacity | undefined,
  applicant: AccountState | undefined,
  amountMinor: bigint,
  currency: string,
): LoanReservationDecision {
  if (amountMinor <= 0n) throw new RangeError(`a loan must be positive, got ${amountMinor}`);
  if (!capacity) return { kind: 'refuse', reason: `the bank does not lend in ${currency}` };
  if (!applicant || applicant.status !== 'open')
    return { kind: 'refuse', reason: 'the applicant account is not an open account of this bank' };
  if (applicant.currency !== currency) return { kind: 'refuse', reason: `the applicant account is not in ${currency}` };
  if (capacityLeftMinor(capacity) < amountMinor) return { kind: 'refuse', reason: 'the lending capacity left does not cover the amount' };
  return { kind: 'reserve' };
}

export function capacityLeftMinor(capacity: LendingCapacity): bigint {
  return capacity.capacityMinor - capacity.reservedMinor - capacity.lentMinor;
}

export type LoanDisbursementDecision =
  { kind: 'disburse'; postings: Posting[] } | { kind: 'already-disbursed' } | { kind: 'refuse'; reason: string };

/**
 * Pays a reserved loan out: once (a hold already posted answers again without a second entry),
 * only from a hold still open, and only to an open account in the loan's currency.
 */
export function decideLoanDisbursement(
  hold: LoanHold | undefined,
  applicant: AccountState | undefined,
  fundingAccountId: string,
  currency: string,
): LoanDisbursementDecision {
  if (!hold) return { kind: 'refuse', reason: 'no reservation for this loan' };
  if (hold.state === 'posted') return { kind: 'already-disbursed' };
  if (hold.state === 'released') return { kind: 'refuse', reason: 'the reservation was released' };
  if (!applicant || applicant.status !== 'open' || applicant.currency !== currency)
    return { kind: 'refuse', reason: 'the applicant account is closed or in another currency' };
  return { kind: 'disburse', postings: loanDisbursementPostings(fundingAccountId, applicant.accountId, hold.amountMinor) };
}

/** The loan-funding account pays the loan into the applicant's account. */
export function loanDisbursementPostings(fundingAccountId: string, applicantAccountId: string, amountMinor: bigint): Posting[] {
  return balanced([
    { accountId: fundingAccountId, amountMinor: -amountMinor },
    { accountId: applicantAccountId, amountMinor },
  ]);
}

export type LoanReleaseDecision =
  | { kind: 'release' }
  /** Nothing was reserved (the reservation never arrived): a released hold is recorded so a late one is refused. */
  | { kind: 'record-released' }
  | { kind: 'already-released' }
  | { kind: 'refuse'; reason: string };

/** Releases a loan's reservation: once; a hold paid out already cannot be released (an operator's case). */
export function decideLoanRelease(hold: LoanHold | undefined): LoanReleaseDecision {
  if (!hold) return { kind: 'record-released' };
  if (hold.state === 'released') return { kind: 'already-released' };
  if (hold.state === 'posted') return { kind: 'refuse', reason: 'the loan was disbursed already' };
  return { kind: 'release' };
}

/** The bank's loan-funding account of a currency, which the lending capacity is held against. */
export const loanFundingAccount = (currency: string) => `BANK-LOAN-FUNDING-${currency}`;

/** The hold of a loan, in the holds table beside the payments' (whose ids are UUIDs). */
export const loanHoldId = (applicationId: string) => `loan:${applicationId}`;
