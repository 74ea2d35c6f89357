import { describe, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { decidePayment, noPayment, orderCancelledReason, type OrderPaymentState } from './domain.ts';

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
      .thenMatches({ state: { ...paid, stage: 'refund-requested', cancelRequested: true }, call: 'refund' });
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
        state: { ...pending, stage: 'refund-requested' },
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
