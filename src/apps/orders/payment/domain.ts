// The payment participant's decision per order. It pays through paystream's own payment flow:
// an intent is recorded first (`requested`), the payment API is called after the commit with
// the order's idempotency key, and the answer (a payment id) and then the payment's outcome (from
// the payment events, or from polling the API) move the order's payment forward. A failure heard
// from another participant (out of stock, shipment failed, fraud detected) is compensated by a
// refund, a second payment merchant → customer, at most once. A refund that fails (the merchant
// spent the money) waits in `refund-failed` for an operator, who may send it again once the cause is
// fixed: each attempt is a new payment with an idempotency key of its own, since the payment API
// has spent the failed attempt's key on a payment it refused.

export type PaymentStage =
  /** Nothing asked yet (a failure may have been heard before the order itself). */
  | 'none'
  /** The payment is to be (or is being) requested from the payment API. */
  | 'requested'
  /** The payment API accepted it; waiting for its outcome (a held payment waits here until decided). */
  | 'pending'
  | 'completed'
  | 'failed'
  | 'refund-requested'
  | 'refund-pending'
  | 'refunded'
  /** The refund itself failed: an operator must act (docs/orders.md). */
  | 'refund-failed';

export interface OrderPaymentState {
  stage: PaymentStage;
  paymentId: string | null;
  refundPaymentId: string | null;
  /** A failure was heard while the payment was not (yet) completed: refund it if it completes. */
  cancelRequested: boolean;
  /** The refund attempt under way or last made: 0 before any, 1 for the first, one more per operator retry. */
  refundAttempt: number;
}

export const noPayment: OrderPaymentState = {
  stage: 'none',
  paymentId: null,
  refundPaymentId: null,
  cancelRequested: false,
  refundAttempt: 0,
};

export type PaymentInput =
  | { kind: 'order-placed' }
  /** Another participant failed the order (InventoryReservationFailed, ShipmentFailed, FraudDetected). */
  | { kind: 'order-failed' }
  | { kind: 'payment-accepted'; paymentId: string }
  /** The payment API refused the request for good (e.g. an account that is not this bank's). */
  | { kind: 'payment-refused'; reasonCode: string; reason: string }
  | { kind: 'payment-outcome'; paymentId: string; outcome: PaymentOutcome }
  | { kind: 'refund-accepted'; paymentId: string }
  | { kind: 'refund-refused'; reasonCode: string; reason: string }
  | { kind: 'refund-outcome'; paymentId: string; outcome: PaymentOutcome }
  /** An operator sends a failed refund again (who, and why: what was fixed). */
  | { kind: 'refund-retry'; operator: string; reason: string };

export type PaymentOutcome = { completed: true } | { completed: false; reasonCode: string; reason: string };

/** What the participant announces; the handler adds the order's fields. */
export type PaymentFact =
  | { type: 'completed'; paymentId: string }
  | { type: 'failed'; paymentId: string | null; reasonCode: string; reason: string }
  | { type: 'refunded'; refundPaymentId: string }
  | { type: 'refund-failed'; refundPaymentId: string | null; attempt: number; reasonCode: string; reason: string }
  | { type: 'refund-retried'; attempt: number; operator: string; reason: string };

export interface PaymentDecision {
  state: OrderPaymentState;
  facts: PaymentFact[];
  /** A call to the payment API to make once the state is committed. */
  call: 'pay' | 'refund' | null;
}

/** The reason a payment is never made for an order that failed before it could be paid. */
export const orderCancelledReason = { reasonCode: 'ORDER_CANCELLED', reason: 'The order was cancelled before it was paid.' } as const;

export function decidePayment(state: OrderPaymentState, input: PaymentInput): PaymentDecision {
  const unchanged: PaymentDecision = { state, facts: [], call: null };
  switch (input.kind) {
    case 'order-placed':
      if (state.stage !== 'none') return unchanged; // a duplicate: asked once already
      if (state.cancelRequested)
        return { state: { ...state, stage: 'failed' }, facts: [{ type: 'failed', paymentId: null, ...orderCancelledReason }], call: null };
      return { state: { ...state, stage: 'requested' }, facts: [], call: 'pay' };
    case 'order-failed':
      if (state.stage === 'completed')
        return { state: { ...state, stage: 'refund-requested', cancelRequested: true, refundAttempt: 1 }, facts: [], call: 'refund' };
      if (state.stage === 'none' || state.stage === 'requested' || state.stage === 'pending')
        return state.cancelRequested ? unchanged : { state: { ...state, cancelRequested: true }, facts: [], call: null };
      return unchanged; // failed: nothing to undo; a refund already under way or done
    case 'payment-accepted':
      if (state.stage !== 'requested') return unchanged;
      return { state: { ...state, stage: 'pending', paymentId: input.paymentId }, facts: [], call: null };
    case 'payment-refused': {
      if (state.stage !== 'requested') return unchanged;
      const { reasonCode, reason } = input;
      return { state: { ...state, stage: 'failed' }, facts: [{ type: 'failed', paymentId: null, reasonCode, reason }], call: null };
    }
    case 'payment-outcome': {
      if (state.stage !== 'pending' || state.paymentId !== input.paymentId) return unchanged;
      if (!input.outcome.completed) {
        const { reasonCode, reason } = input.outcome;
        return {
          state: { ...state, stage: 'failed' },
          facts: [{ type: 'failed', paymentId: input.paymentId, reasonCode, reason }],
          call: null,
        };
      }
      const completed: PaymentFact = { type: 'completed', paymentId: input.paymentId };
      if (state.cancelRequested)
        return { state: { ...state, stage: 'refund-requested', refundAttempt: 1 }, facts: [completed], call: 'refund' };
      return { state: { ...state, stage: 'completed' }, facts: [completed], call: null };
    }
    case 'refund-accepted':
      if (state.stage !== 'refund-requested') return unchanged;
      return { state: { ...state, stage: 'refund-pending', refundPaymentId: input.paymentId }, facts: [], call: null };
    case 'refund-refused': {
      if (state.stage !== 'refund-requested') return unchanged;
      const { reasonCode, reason } = input;
      return {
        state: { ...state, stage: 'refund-failed' },
        facts: [{ type: 'refund-failed', refundPaymentId: null, attempt: state.refundAttempt, reasonCode, reason }],
        call: null,
      };
    }
    case 'refund-outcome': {
      if (state.stage !== 'refund-pending' || state.refundPaymentId !== input.paymentId) return unchanged;
      if (input.outcome.completed)
        return { state: { ...state, stage: 'refunded' }, facts: [{ type: 'refunded', refundPaymentId: input.paymentId }], call: null };
      const { reasonCode, reason } = input.outcome;
      return {
        state: { ...state, stage: 'refund-failed' },
        facts: [{ type: 'refund-failed', refundPaymentId: input.paymentId, attempt: state.refundAttempt, reasonCode, reason }],
        call: null,
      };
    }
    case 'refund-retry': {
      if (state.stage !== 'refund-failed') return unchanged;
      const attempt = state.refundAttempt + 1;
      return {
        // The failed attempt's payment id is forgotten here (its event stays on the bus): an outcome
        // of that payment heard again matches nothing.
        state: { ...state, stage: 'refund-requested', refundPaymentId: null, refundAttempt: attempt },
        facts: [{ type: 'refund-retried', attempt, operator: input.operator, reason: input.reason }],
        call: 'refund',
      };
    }
  }
}

/**
 * The idempotency key of a refund attempt: the first keeps the key refunds always had; each retry
 * has its own, because the payment API answers a key it has seen with the payment it made then
 * (the refused one), and each is the same on every re-send of that attempt, so it is paid once.
 */
export function refundIdempotencyKey(orderId: string, attempt: number): string {
  return attempt <= 1 ? `order-refund-${orderId}` : `order-refund-${orderId}-attempt-${attempt}`;
}
