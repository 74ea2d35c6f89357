import { describe, it } from 'vitest';
import { PaymentReasonCodes, type PaymentOrder } from '../../../contracts/payment.ts';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { defaultValidationLimits } from '../index.ts';
import { validatePayment, type DebtorAccountView, type ValidationLimits } from './validate-payment.ts';

// Validation's business checks as decisions: given what the ledger knows of the debtor account
// (undefined: not an account of this bank), when a submitted payment comes, then valid or invalid
// with the reason code the payer sees in payments.rejected.v1.
const debtorAccount = 'DE89370400440532013000';
const limits: ValidationLimits = { maxAmountMinorByCurrency: new Map([['EUR', 1_000_00n]]) };

function payment(overrides: { amountMinor?: bigint; currency?: string; creditorAccount?: string } = {}): PaymentOrder {
  return {
    paymentId: 'payment-1',
    uetr: '8a562c67-ca16-48ba-b074-65581be6f011',
    endToEndId: 'e2e-1',
    amountMinor: overrides.amountMinor ?? 100_00n,
    currency: overrides.currency ?? 'EUR',
    debtor: { name: 'Ada Debtor', account: debtorAccount, agent: 'PSTRDEFFXXX', country: 'DE' },
    creditor: {
      name: 'Bob Creditor',
      account: overrides.creditorAccount ?? 'FR1420041010050500013M02606',
      agent: 'BNPAFRPPXXX',
      country: 'FR',
    },
    remittanceInformation: null,
    receivedAt: '2026-12-07T12:00:00.000Z',
  };
}
const open: DebtorAccountView = { currency: 'EUR', status: 'open' };
const validation = decisionSpec((debtor: DebtorAccountView | undefined, submitted: PaymentOrder) =>
  validatePayment(submitted, debtor, limits),
);

describe('validatePayment', () => {
  it('given an open debtor account in the currency, when a payment within the limit comes, then it is valid', () => {
    validation.given(open).when(payment()).then({ kind: 'valid' });
  });

  it('refuses a debtor account that is not of this bank, or was closed since the request', () => {
    validation.given(undefined).when(payment()).then({
      kind: 'invalid',
      reasonCode: PaymentReasonCodes.DEBTOR_ACCOUNT_NOT_FOUND,
      reason: 'the debtor account is not an account of this bank',
    });
    validation
      .given({ ...open, status: 'closed' })
      .when(payment())
      .then({ kind: 'invalid', reasonCode: PaymentReasonCodes.DEBTOR_ACCOUNT_CLOSED, reason: 'the debtor account is closed' });
  });

  it("refuses a payment in another currency than the debtor account's", () => {
    validation
      .given({ ...open, currency: 'CHF' })
      .when(payment())
      .then({
        kind: 'invalid',
        reasonCode: PaymentReasonCodes.CURRENCY_MISMATCH,
        reason: 'the debtor account is in CHF, the payment in EUR',
      });
  });

  it('takes a payment of exactly the single-payment limit, and refuses one minor unit more', () => {
    validation
      .given(open)
      .when(payment({ amountMinor: 1_000_00n }))
      .then({ kind: 'valid' });
    validation
      .given(open)
      .when(payment({ amountMinor: 1_000_01n }))
      .then({
        kind: 'invalid',
        reasonCode: PaymentReasonCodes.AMOUNT_ABOVE_LIMIT,
        reason: 'the amount is above the single-payment limit for EUR',
      });
  });

  it('puts no limit on a currency the limits do not name', () => {
    validation
      .given({ ...open, currency: 'JPY' })
      .when(payment({ currency: 'JPY', amountMinor: 10n ** 15n }))
      .then({ kind: 'valid' });
  });

  it('refuses a payment from an account to itself', () => {
    validation
      .given(open)
      .when(payment({ creditorAccount: debtorAccount }))
      .then({
        kind: 'invalid',
        reasonCode: PaymentReasonCodes.CREDITOR_ACCOUNT_INVALID,
        reason: 'the creditor account is the debtor account',
      });
  });

  it('gives the first failed check: the account, then the currency, then the limit, then the creditor', () => {
    const everythingWrong = payment({ currency: 'USD', amountMinor: 10n ** 15n, creditorAccount: debtorAccount });
    validation
      .given({ currency: 'CHF', status: 'closed' })
      .when(everythingWrong)
      .thenMatches({ kind: 'invalid', reasonCode: PaymentReasonCodes.DEBTOR_ACCOUNT_CLOSED });
    validation
      .given({ currency: 'CHF', status: 'open' })
      .when(everythingWrong)
      .thenMatches({ kind: 'invalid', reasonCode: PaymentReasonCodes.CURRENCY_MISMATCH });
    validation
      .given(open)
      .when(payment({ amountMinor: 10n ** 15n, creditorAccount: debtorAccount }))
      .thenMatches({ kind: 'invalid', reasonCode: PaymentReasonCodes.AMOUNT_ABOVE_LIMIT });
  });

  it('by default, limits a single payment to 10 million in EUR, USD, GBP and CHF', () => {
    const withDefaults = decisionSpec((debtor: DebtorAccountView, submitted: PaymentOrder) =>
      validatePayment(submitted, debtor, defaultValidationLimits),
    );
    for (const currency of ['EUR', 'USD', 'GBP', 'CHF']) {
      withDefaults
        .given({ currency, status: 'open' })
        .when(payment({ currency, amountMinor: 10_000_000_00n }))
        .then({ kind: 'valid' });
      withDefaults
        .given({ currency, status: 'open' })
        .when(payment({ currency, amountMinor: 10_000_000_01n }))
        .thenMatches({ kind: 'invalid', reasonCode: PaymentReasonCodes.AMOUNT_ABOVE_LIMIT });
    }
  });
});
