import { PaymentReasonCodes, type PaymentOrder, type PaymentReasonCode } from '../../../contracts/payment.ts';

/** What validation knows of the debtor account (from the ledger's accounts). */
export interface DebtorAccountView {
  currency: string;
  status: 'open' | 'closed';
}

export interface ValidationLimits {
  /** Largest single payment per currency, in minor units; a currency absent here has no limit. */
  maxAmountMinorByCurrency: ReadonlyMap<string, bigint>;
}

export type ValidationDecision = { kind: 'valid' } | { kind: 'invalid'; reasonCode: PaymentReasonCode; reason: string };

/**
 * The business checks the API cannot make from the request alone: the debtor account exists and
 * is open (it may have been closed since the request), the currency matches, the amount is within
 * the bank's limits, and the payment does not pay an account to itself.
 */
export function validatePayment(
  payment: PaymentOrder,
  debtor: DebtorAccountView | undefined,
  limits: ValidationLimits,
): ValidationDecision {
  if (!debtor) return invalid(PaymentReasonCodes.DEBTOR_ACCOUNT_NOT_FOUND, 'the debtor account is not an account of this bank');
  if (debtor.status !== 'open') return invalid(PaymentReasonCodes.DEBTOR_ACCOUNT_CLOSED, 'the debtor account is closed');
  if (debtor.currency !== payment.currency)
    return invalid(PaymentReasonCodes.CURRENCY_MISMATCH, `the debtor account is in ${debtor.currency}, the payment in ${payment.currency}`);
  const limit = limits.maxAmountMinorByCurrency.get(payment.currency);
  if (limit !== undefined && payment.amountMinor > limit)
    return invalid(PaymentReasonCodes.AMOUNT_ABOVE_LIMIT, `the amount is above the single-payment limit for ${payment.currency}`);
  if (payment.creditor.account === payment.debtor.account)
    return invalid(PaymentReasonCodes.CREDITOR_ACCOUNT_INVALID, 'the creditor account is the debtor account');
  return { kind: 'valid' };
}

function invalid(reasonCode: PaymentReasonCode, reason: string): ValidationDecision {
  return { kind: 'invalid', reasonCode, reason };
}
