import { describe, expect, it } from 'vitest';
import { customerNotice } from './customer-notice.ts';
import { renderMessage } from './messages.ts';

const blocked = {
  paymentId: 'p-1',
  debtorAccount: 'DE89370400440532013000',
  amountMinor: 10_000n,
  currency: 'EUR',
  reasonCode: 'SANCTIONS_HIT',
  reason: 'sanctions hit: debtor HIGH: OFAC-SDN 2686 "NASRALLAH, Hasan" (SDGT) 1.00',
  screeningDecisionId: 'decision-1',
};

describe('the notice a customer gets for a payment event (customerNotice)', () => {
  it('tells a block as a rejection with a neutral reason and exactly the fields of any rejection', () => {
    const notice = customerNotice('PaymentBlocked', blocked);
    expect(notice).toEqual({
      eventType: 'PaymentRejected',
      data: {
        paymentId: 'p-1',
        debtorAccount: 'DE89370400440532013000',
        reasonCode: 'PAYMENT_NOT_PROCESSED',
        reason: 'The payment could not be processed.',
      },
    });
    const rejected = customerNotice('PaymentRejected', {
      paymentId: 'p-2',
      debtorAccount: 'DE89370400440532013000',
      reasonCode: 'CREDITOR_ACCOUNT_INVALID',
      reason: 'the creditor account is not a valid IBAN',
    });
    expect(Object.keys(rejected!.data).sort()).toEqual(Object.keys(notice!.data).sort());
  });

  it("tells an officer's rejection neutrally", () => {
    const notice = customerNotice('PaymentRejected', {
      paymentId: 'p-3',
      debtorAccount: 'acct',
      reasonCode: 'COMPLIANCE_REJECTED',
      reason: 'rejected by a compliance officer: confirmed match',
    });
    expect(notice?.data).toMatchObject({ reasonCode: 'PAYMENT_NOT_PROCESSED', reason: 'The payment could not be processed.' });
  });

  it('tells a hold as PaymentOnHold under review, without the score or the rules', () => {
    const notice = customerNotice('PaymentHeldForReview', {
      paymentId: 'p-4',
      debtorAccount: 'acct',
      caseId: 'case-1',
      stage: 'FRAUD',
      reason: 'fraud score 60 (review at 50): velocityCount +60',
    });
    expect(notice).toEqual({
      eventType: 'PaymentOnHold',
      data: { paymentId: 'p-4', debtorAccount: 'acct', reasonCode: 'PAYMENT_UNDER_REVIEW', reason: 'The payment is being reviewed.' },
    });
  });

  it('keeps a completion and a failure the customer can act on as they were', () => {
    const completed = { paymentId: 'p-5', uetr: 'u', debtorAccount: 'acct', amountMinor: 125_050n, currency: 'EUR', route: 'INTERNAL' };
    expect(customerNotice('PaymentCompleted', completed)).toEqual({ eventType: 'PaymentCompleted', data: completed });
    const failed = {
      paymentId: 'p-6',
      debtorAccount: 'acct',
      amountMinor: 1n,
      currency: 'EUR',
      reasonCode: 'INSUFFICIENT_FUNDS',
      reason: 'the available balance and overdraft do not cover the amount',
    };
    expect(customerNotice('PaymentFailed', failed)).toEqual({ eventType: 'PaymentFailed', data: failed });
  });

  it('tells nothing of internal events', () => {
    for (const type of [
      'AmlAlertRaised',
      'ComplianceCaseDecided',
      'PaymentScored',
      'PaymentInitiated',
      'PaymentCleared',
      'PaymentSubmitted',
    ])
      expect(customerNotice(type, { paymentId: 'p' })).toBeUndefined();
  });

  it('makes an email that names neither the list nor the reason code of a block', () => {
    const notice = customerNotice('PaymentBlocked', blocked)!;
    const message = renderMessage(
      notice.eventType,
      JSON.parse(JSON.stringify(notice.data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))),
    );
    expect(message.subject).toBe('Payment rejected');
    expect(JSON.stringify(message)).not.toMatch(/OFAC|NASRALLAH|SANCTIONS|2686|1\.00|Blocked/);
  });
});
