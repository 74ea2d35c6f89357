import { describe, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { OrderTopics, type OrderTopic } from '../contracts.ts';
import { decideOrder, evolveOrder, placedOrder, type OrderFlowState } from './domain.ts';

// The order's fold and its one decision: cancel a failed order once it holds no money and no stock.
const order = decisionSpec({
  initialState: () => placedOrder,
  evolve: evolveOrder,
  decide: (state: OrderFlowState, _input: 'decide') => decideOrder(state),
});
const T = OrderTopics;

describe('the orders participant decides', () => {
  it('nothing for an order on its way', () => {
    order
      .given([T.paymentCompleted, T.inventoryReserved] as OrderTopic[])
      .when('decide')
      .then(null);
  });
  it('to cancel an out-of-stock order once its payment is refunded, in whatever order the two arrive', () => {
    order
      .given([T.paymentRefunded, T.inventoryReservationFailed, T.paymentCompleted] as OrderTopic[])
      .when('decide')
      .then({ cancel: 'OUT_OF_STOCK' });
    order
      .given([T.paymentCompleted, T.inventoryReservationFailed] as OrderTopic[])
      .when('decide')
      .then(null);
  });
  it('to cancel an order whose payment failed once its stock is released, or at once when none was reserved', () => {
    order
      .given([T.inventoryReserved, T.paymentFailed] as OrderTopic[])
      .when('decide')
      .then(null);
    order
      .given([T.inventoryReserved, T.paymentFailed, T.inventoryReleased] as OrderTopic[])
      .when('decide')
      .then({ cancel: 'PAYMENT_FAILED' });
    order
      .given([T.inventoryReservationFailed, T.paymentFailed] as OrderTopic[])
      .when('decide')
      .then({ cancel: 'OUT_OF_STOCK' });
  });
  it('to cancel for the first failure heard, after both compensations of a failed shipment or a fraud finding', () => {
    const paidAndReserved = [T.paymentCompleted, T.inventoryReserved] as OrderTopic[];
    order
      .given([...paidAndReserved, T.shipmentFailed, T.inventoryReleased] as OrderTopic[])
      .when('decide')
      .then(null);
    order
      .given([...paidAndReserved, T.shipmentFailed, T.inventoryReleased, T.paymentRefunded] as OrderTopic[])
      .when('decide')
      .then({ cancel: 'SHIPMENT_FAILED' });
    order
      .given([...paidAndReserved, T.fraudDetected, T.paymentRefunded, T.inventoryReleased] as OrderTopic[])
      .when('decide')
      .then({ cancel: 'FRAUD_DETECTED' });
  });
  it('nothing more once the order is shipped or cancelled', () => {
    order
      .given([T.paymentCompleted, T.inventoryReserved, T.shipmentCreated] as OrderTopic[])
      .when('decide')
      .then(null);
    order
      .given([T.inventoryReservationFailed, T.paymentFailed, T.cancelled] as OrderTopic[])
      .when('decide')
      .then(null);
  });
});
