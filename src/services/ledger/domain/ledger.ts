import { PaymentReasonCodes, type PaymentReasonCode, type SettlementRoute } from '../../../contracts/payment.ts';

/**
 * The core-banking ledger's decisions, as pure functions of (state, request) → decision. The
 * handlers load the state under row locks, call these, and write what they decide.
 *
 * Conventions: amounts are signed minor units (bigint). A customer account's balance is the sum
 * of its postings (credits positive); `reserved` is the sum of its open holds; `available` =
 * balance − reserved, and may not go below −overdraftLimit. Every journal entry's postings sum to
 * zero (double entry). The bank's own accounts (funding, RTGS settlement) have no limit.
 */
export interface AccountState {
  accountId: string;
  currency: string;
  status: 'open' | 'closed';
  balanceMinor: bigint;
  reservedMinor: bigint;
  /** null: no limit (the bank's own accounts). */
  overdraftLimitMinor: bigint | null;
}

export interface Posting {
  accountId: string;
  amountMinor: bigint;
}

export function availableMinor(account: AccountState): bigint {
  return account.balanceMinor - account.reservedMinor;
}

export type ReservationDecision =
  | { kind: 'reserve'; accountId: string; amountMinor: bigint; route: SettlementRoute }
  | { kind: 'refuse'; reasonCode: PaymentReasonCode; reason: string };

/**
 * May `amountMinor` be held on the debtor account? Refused when the account is missing or closed,
 * in another currency, or when the hold would take `available` below the overdraft limit.
 */
export function decideReservation(debtor: AccountState | undefined, amountMinor: bigint, currency: string, creditorIsInternal: boolean): ReservationDecision {
  if (amountMinor <= 0n) throw new RangeError(`a reservation must be positive, got ${amountMinor}`);
  if (!debtor) return { kind: 'refuse', reasonCode: PaymentReasonCodes.DEBTOR_ACCOUNT_NOT_FOUND, reason: 'the debtor account does not exist' };
  if (debtor.status !== 'open') return { kind: 'refuse', reasonCode: PaymentReasonCodes.DEBTOR_ACCOUNT_CLOSED, reason: 'the debtor account is closed' };
  if (debtor.currency !== currency) return { kind: 'refuse', reasonCode: PaymentReasonCodes.CURRENCY_MISMATCH, reason: `the debtor account is in ${debtor.currency}, the payment in ${currency}` };
  const floor = debtor.overdraftLimitMinor === null ? null : -debtor.overdraftLimitMinor;
  if (floor !== null && availableMinor(debtor) - amountMinor < floor) {
    return { kind: 'refuse', reasonCode: PaymentReasonCodes.INSUFFICIENT_FUNDS, reason: 'the available balance and overdraft do not cover the amount' };
  }
  return { kind: 'reserve', accountId: debtor.accountId, amountMinor, route: creditorIsInternal ? 'INTERNAL' : 'RTGS' };
}

/** The postings that move a held amount from the debtor to where it settles. */
export function settlementPostings(debtorAccountId: string, counterpartAccountId: string, amountMinor: bigint): Posting[] {
  return balanced([
    { accountId: debtorAccountId, amountMinor: -amountMinor },
    { accountId: counterpartAccountId, amountMinor },
  ]);
}

/** A deposit: the bank's funding account pays into the customer's account. */
export function depositPostings(fundingAccountId: string, customerAccountId: string, amountMinor: bigint): Posting[] {
  if (amountMinor <= 0n) throw new RangeError(`a deposit must be positive, got ${amountMinor}`);
  return balanced([
    { accountId: fundingAccountId, amountMinor: -amountMinor },
    { accountId: customerAccountId, amountMinor },
  ]);
}

/** Asserts double entry: a journal entry whose postings do not sum to zero is a bug, not an input error. */
export function balanced(postings: Posting[]): Posting[] {
  const sum = postings.reduce((total, posting) => total + posting.amountMinor, 0n);
  if (sum !== 0n) throw new Error(`ledger invariant broken: postings sum to ${sum}, not 0`);
  return postings;
}

/** Names of the bank's own accounts, one per currency. */
export const bankAccounts = {
  funding: (currency: string) => `BANK-FUNDING-${currency}`,
  rtgsSettlement: (currency: string) => `BANK-RTGS-SETTLEMENT-${currency}`,
};
