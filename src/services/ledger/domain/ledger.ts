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

/** A refusal of a payment by the ledger: the reason code and reason of its `payments.failed.v1`. */
export interface Refusal {
  kind: 'refuse';
  reasonCode: PaymentReasonCode;
  reason: string;
}

export type ReservationDecision = { kind: 'reserve'; accountId: string; amountMinor: bigint; route: SettlementRoute } | Refusal;

/**
 * May `amountMinor` be held on the debtor account to pay the creditor? Refused when the debtor
 * account is missing or closed, in another currency, or when the hold would take `available` below
 * the overdraft limit; then when the creditor cannot receive the payment (`decideCreditorRoute`).
 * The debtor is judged first: a payment refused on both counts fails for its debtor's reason.
 *
 * `debtor` and `creditor` are customer accounts of this bank, or undefined when the account is
 * not one (a bank's own account is not a customer's).
 */
export function decideReservation(
  debtor: AccountState | undefined,
  creditor: AccountState | undefined,
  amountMinor: bigint,
  currency: string,
): ReservationDecision {
  if (amountMinor <= 0n) throw new RangeError(`a reservation must be positive, got ${amountMinor}`);
  if (!debtor) return refuse(PaymentReasonCodes.DEBTOR_ACCOUNT_NOT_FOUND, 'the debtor account does not exist');
  if (debtor.status !== 'open') return refuse(PaymentReasonCodes.DEBTOR_ACCOUNT_CLOSED, 'the debtor account is closed');
  if (debtor.currency !== currency)
    return refuse(PaymentReasonCodes.CURRENCY_MISMATCH, `the debtor account is in ${debtor.currency}, the payment in ${currency}`);
  const floor = debtor.overdraftLimitMinor === null ? null : -debtor.overdraftLimitMinor;
  if (floor !== null && availableMinor(debtor) - amountMinor < floor) {
    return refuse(PaymentReasonCodes.INSUFFICIENT_FUNDS, 'the available balance and overdraft do not cover the amount');
  }
  const creditorRoute = decideCreditorRoute(creditor, currency);
  if (creditorRoute.kind === 'refuse') return creditorRoute;
  return { kind: 'reserve', accountId: debtor.accountId, amountMinor, route: creditorRoute.route };
}

export type CreditorRouteDecision = { kind: 'route'; route: SettlementRoute } | Refusal;

/**
 * Where a payment to `creditor` settles: a customer account of this bank is credited at once
 * (INTERNAL), if it is open and in the payment's currency, and refused otherwise, since the money
 * would have nowhere to go; any other account is another bank's, reached over the RTGS network.
 */
export function decideCreditorRoute(creditor: AccountState | undefined, currency: string): CreditorRouteDecision {
  if (!creditor) return { kind: 'route', route: 'RTGS' };
  if (creditor.currency !== currency || creditor.status !== 'open') {
    return refuse(PaymentReasonCodes.CREDITOR_ACCOUNT_INVALID, 'the creditor account of this bank is closed or in another currency');
  }
  return { kind: 'route', route: 'INTERNAL' };
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

function refuse(reasonCode: PaymentReasonCode, reason: string): Refusal {
  return { kind: 'refuse', reasonCode, reason };
}

/** Names of the bank's own accounts, one per currency. */
export const bankAccounts = {
  funding: (currency: string) => `BANK-FUNDING-${currency}`,
  rtgsSettlement: (currency: string) => `BANK-RTGS-SETTLEMENT-${currency}`,
};
