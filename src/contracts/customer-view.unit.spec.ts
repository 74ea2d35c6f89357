import { describe, expect, it } from 'vitest';
import { PaymentReasonCodes, PaymentStatuses } from './payment.ts';
import { PaymentEventTypes } from './topics.ts';
import { CustomerEventTypes, CustomerPaymentStatuses, customerEventType, customerOutcome } from './customer-view.ts';

const blockedReason = 'sanctions hit: debtor HIGH: OFAC-SDN 2686 "NASRALLAH, Hasan" (SDGT) 1.00';
const heldReason = 'possible sanctions match, for review: creditor MEDIUM: OFAC-SDN 2686 "NASRALLAH, Hasan" (SDGT) 0.90';
const fraudReason = 'fraud score 60 (review at 50): velocityCount +60';
const notProcessed = { code: 'PAYMENT_NOT_PROCESSED', text: 'The payment could not be processed.' };
const underReview = { code: 'PAYMENT_UNDER_REVIEW', text: 'The payment is being reviewed.' };

describe('what a customer is told about a payment (customerOutcome)', () => {
  it('shows a block as a rejection with a neutral reason, not the list, entry, name or score', () => {
    expect(customerOutcome({ status: 'BLOCKED', reasonCode: PaymentReasonCodes.SANCTIONS_HIT, reason: blockedReason })).toEqual({
      status: 'REJECTED',
      reason: notProcessed,
    });
  });

  it('shows a hold for review, by screening or by fraud scoring, as ON_HOLD under review', () => {
    for (const reason of [heldReason, fraudReason])
      expect(customerOutcome({ status: 'HELD_FOR_REVIEW', reasonCode: null, reason })).toEqual({ status: 'ON_HOLD', reason: underReview });
  });

  it("shows an officer's rejection with the neutral reason, not the officer's words", () => {
    expect(
      customerOutcome({
        status: 'REJECTED',
        reasonCode: PaymentReasonCodes.COMPLIANCE_REJECTED,
        reason: 'rejected by a compliance officer: confirmed match',
      }),
    ).toEqual({ status: 'REJECTED', reason: notProcessed });
  });

  it('shows a reason the customer can act on, with its code and text', () => {
    expect(
      customerOutcome({
        status: 'FAILED',
        reasonCode: 'INSUFFICIENT_FUNDS',
        reason: 'the available balance and overdraft do not cover the amount',
      }),
    ).toEqual({
      status: 'FAILED',
      reason: { code: 'INSUFFICIENT_FUNDS', text: 'the available balance and overdraft do not cover the amount' },
    });
    const travelRule =
      'Travel Rule: EUR 1500.00 is above EUR 1000.00, and the payment lacks originator/beneficiary information: creditor: a postal address';
    expect(customerOutcome({ status: 'REJECTED', reasonCode: 'TRAVEL_RULE_MISSING_INFORMATION', reason: travelRule })).toEqual({
      status: 'REJECTED',
      reason: { code: 'TRAVEL_RULE_MISSING_INFORMATION', text: travelRule },
    });
  });

  it("replaces the engine's error text of SCREENING_UNAVAILABLE with a fixed one", () => {
    const outcome = customerOutcome({
      status: 'FAILED',
      reasonCode: 'SCREENING_UNAVAILABLE',
      reason: 'screening unavailable after 3 attempts: lists not loaded (OFAC-SDN)',
    });
    expect(outcome.reason?.code).toBe('SCREENING_UNAVAILABLE');
    expect(outcome.reason?.text).not.toContain('OFAC');
  });

  it('reads a reason code nobody declared disclosable, or none, as PAYMENT_NOT_PROCESSED', () => {
    expect(customerOutcome({ status: 'REJECTED', reasonCode: 'SOME_FUTURE_CODE', reason: 'internal detail' })).toEqual({
      status: 'REJECTED',
      reason: notProcessed,
    });
    expect(customerOutcome({ status: 'FAILED', reasonCode: null, reason: 'internal detail' })).toEqual({
      status: 'FAILED',
      reason: notProcessed,
    });
  });

  it('shows no reason on a payment under way or done, even one a hold left on the row', () => {
    for (const status of ['RECEIVED', 'VALIDATED', 'RESERVED', 'SUBMITTED', 'COMPLETED'])
      expect(customerOutcome({ status, reasonCode: null, reason: heldReason })).toEqual({ status, reason: null });
  });

  it('maps every internal status to a customer status, and refuses one it does not know', () => {
    for (const status of Object.values(PaymentStatuses))
      expect(CustomerPaymentStatuses).toContain(customerOutcome({ status, reasonCode: null, reason: null }).status);
    expect(() => customerOutcome({ status: 'LOST', reasonCode: null, reason: null })).toThrow(/unknown payment status LOST/);
  });
});

describe('the event names a customer sees (customerEventType)', () => {
  it('names a block as a rejection and a hold as PaymentOnHold', () => {
    expect(customerEventType('PaymentBlocked')).toBe('PaymentRejected');
    expect(customerEventType('PaymentHeldForReview')).toBe('PaymentOnHold');
  });

  it('hides the internal steps: screening, fraud scoring, AML alerts, officers’ decisions', () => {
    for (const internal of ['PaymentInitiated', 'PaymentScored', 'PaymentCleared', 'AmlAlertRaised', 'ComplianceCaseDecided'])
      expect(customerEventType(internal)).toBeUndefined();
    expect(customerEventType('SomethingNew')).toBeUndefined();
  });

  it('answers only names that tell nothing of a suspicion', () => {
    const shown = Object.values(PaymentEventTypes).flatMap((type) => customerEventType(type) ?? []);
    expect(new Set(shown)).toEqual(new Set(CustomerEventTypes));
    for (const name of CustomerEventTypes) expect(name).not.toMatch(/block|sanction|screen|aml|fraud|scor|alert|case|compliance/i);
  });
});
