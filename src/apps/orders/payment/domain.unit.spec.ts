import { describe, expect, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { decidePayment, noPayment, orderCancelledReason, refundIdempotencyKey, type OrderPaymentState } from './domain.ts';

const payment = decisionSpec(decidePayment);
const at = (stage: OrderPaymentState['stage'], fields: Partial<OrderPaymentState> = {}): OrderPaymentState => ({
  ...noPayment,
  stage,
  ...fields,
});
const completed = { completed: true } as const;
const insufficient = { completed: false, reasonCode: 'INSUFFICIENT_FUNDS', reason: 'Insufficient funds' } as const;

describe('the payment participant decides', () => {
  it('to request the payment of a placed order once', () => {
    payment
      .given(noPayment)
      .when({ kind: 'order-placed' })
      .then({ state: at('requested'), facts: [], call: 'pay' });
    payment.given(at('requested')).when({ kind: 'order-placed' }).thenMatches({ facts: [], call: null });
    payment
      .given(at('completed', { paymentId: 'p1' }))
      .when({ kind: 'order-placed' })
      .thenMatches({ facts: [], call: null });
  });
  it('never to pay an order that failed before it was placed here', () => {
    payment
      .given(at('none', { cancelRequested: true }))
      .when({ kind: 'order-placed' })
      .then({
        state: at('failed', { cancelRequested: true }),
        facts: [{ type: 'failed', paymentId: null, ...orderCancelledReason }],
        call: null,
      });
  });
  it('to announce the outcome of the payment it is waiting for, and only that one', () => {
    const pending = at('pending', { paymentId: 'p1' });
    payment
      .given(pending)
      .when({ kind: 'payment-outcome', paymentId: 'p1', outcome: completed })
      .thenMatches({
        state: at('completed', { paymentId: 'p1' }),
        facts: [{ type: 'completed', paymentId: 'p1' }],
      });
    payment
      .given(pending)
      .when({ kind: 'payment-outcome', paymentId: 'p1', outcome: insufficient })
      .thenMatches({
        facts: [{ type: 'failed', paymentId: 'p1', reasonCode: 'INSUFFICIENT_FUNDS', reason: 'Insufficient funds' }],
      });
    payment.given(pending).when({ kind: 'payment-outcome', paymentId: 'other', outcome: completed }).thenMatches({ facts: [], call: null });
  });
  it('to refund a paid order that failed elsewhere, once', () => {
    const paid = at('completed', { paymentId: 'p1' });
    payment
      .given(paid)
      .when({ kind: 'order-failed' })
      .thenMatches({ state: { ...paid, stage: 'refund-requested', cancelRequested: true, refundAttempt: 1 }, call: 'refund' });
    payment
      .given(at('refund-requested', { paymentId: 'p1' }))
      .when({ kind: 'order-failed' })
      .thenMatches({ facts: [], call: null });
    payment
      .given(at('refunded', { paymentId: 'p1' }))
      .when({ kind: 'order-failed' })
      .thenMatches({ facts: [], call: null });
  });
  it('to refund a payment that completes after the order failed, announcing both', () => {
    const pending = at('pending', { paymentId: 'p1', cancelRequested: true });
    payment
      .given(pending)
      .when({ kind: 'payment-outcome', paymentId: 'p1', outcome: completed })
      .thenMatches({
        state: { ...pending, stage: 'refund-requested', refundAttempt: 1 },
        facts: [{ type: 'completed', paymentId: 'p1' }],
        call: 'refund',
      });
  });
  it('that a refund is done when its own payment completes', () => {
    const refunding = at('refund-pending', { paymentId: 'p1', refundPaymentId: 'r1' });
    payment
      .given(refunding)
      .when({ kind: 'refund-outcome', paymentId: 'r1', outcome: completed })
      .thenMatches({
        state: { ...refunding, stage: 'refunded' },
        facts: [{ type: 'refunded', refundPaymentId: 'r1' }],
      });
    payment.given(refunding).when({ kind: 'payment-outcome', paymentId: 'p1', outcome: completed }).thenMatches({ facts: [] });
  });
  it('that a payment the API refuses for good has failed', () => {
    payment
      .given(at('requested'))
      .when({ kind: 'payment-refused', reasonCode: 'unknown-debtor-account', reason: 'no such account' })
      .thenMatches({
        state: at('failed'),
        facts: [{ type: 'failed', paymentId: null, reasonCode: 'unknown-debtor-account', reason: 'no such account' }],
      });
  });
});

describe('a refund that fails', () => {
  const refunding = at('refund-pending', { paymentId: 'p1', refundPaymentId: 'r1', cancelRequested: true, refundAttempt: 1 });
  const insufficientRefund = { kind: 'refund-outcome', paymentId: 'r1', outcome: insufficient } as const;
  const retry = { kind: 'refund-retry', operator: 'Olga (API key k1)', reason: 'merchant funded' } as const;

  it('waits for an operator, announced with the attempt and the refund payment that failed', () => {
    payment
      .given(refunding)
      .when(insufficientRefund)
      .then({
        state: { ...refunding, stage: 'refund-failed' },
        facts: [
          { type: 'refund-failed', refundPaymentId: 'r1', attempt: 1, reasonCode: 'INSUFFICIENT_FUNDS', reason: 'Insufficient funds' },
        ],
        call: null,
      });
    payment
      .given(at('refund-requested', { paymentId: 'p1', refundAttempt: 1 }))
      .when({ kind: 'refund-refused', reasonCode: 'invalid-field', reason: 'refused' })
      .thenMatches({
        facts: [{ type: 'refund-failed', refundPaymentId: null, attempt: 1, reasonCode: 'invalid-field', reason: 'refused' }],
      });
  });

  it('is sent again as the next attempt when an operator retries it, with who and why', () => {
    const failed = { ...refunding, stage: 'refund-failed' } as const;
    payment
      .given(failed)
      .when(retry)
      .then({
        state: { ...failed, stage: 'refund-requested', refundPaymentId: null, refundAttempt: 2 },
        facts: [{ type: 'refund-retried', attempt: 2, operator: 'Olga (API key k1)', reason: 'merchant funded' }],
        call: 'refund',
      });
  });

  it('is retried only when it failed: a refund under way, done, or never needed is not', () => {
    for (const stage of ['none', 'requested', 'pending', 'completed', 'failed', 'refund-requested', 'refund-pending', 'refunded'] as const)
      payment
        .given(at(stage, { paymentId: 'p1' }))
        .when(retry)
        .thenMatches({ facts: [], call: null });
  });

  it('ignores the outcome of a failed attempt heard again after the retry', () => {
    const retried = at('refund-pending', { paymentId: 'p1', refundPaymentId: 'r2', cancelRequested: true, refundAttempt: 2 });
    payment.given(retried).when(insufficientRefund).thenMatches({ state: retried, facts: [], call: null });
  });

  it('gives every attempt an idempotency key of its own, the first the one refunds always had', () => {
    expect(refundIdempotencyKey('o1', 1)).toBe('order-refund-o1');
    expect(refundIdempotencyKey('o1', 0)).toBe('order-refund-o1'); // a refund under way before attempts were counted
    const keys = [1, 2, 3, 4].map((attempt) => refundIdempotencyKey('o1', attempt));
    expect(new Set(keys).size).toBe(4);
    expect(keys.every((key) => key.length <= 255)).toBe(true);
  });
});
