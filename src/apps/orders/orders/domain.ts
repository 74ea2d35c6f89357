// The order's own view of its flow, folded from every event of the order in whatever order they
// arrive, and the one decision the orders participant makes: that a failed order is cancelled,
// once every compensation it needs has happened. There is no controller: the other participants
// compensate on their own when they hear of a failure; this fold only waits until they have.
import { CancellationReasons, OrderTopics, type CancellationReason, type OrderTopic } from '../contracts.ts';

export type OrderStatus = 'PLACED' | 'SHIPPED' | 'CANCELLED';

export interface OrderFlowState {
  status: OrderStatus;
  payment: 'pending' | 'completed' | 'failed' | 'refunded';
  inventory: 'pending' | 'reserved' | 'failed' | 'released';
  /** The first failure heard of: why the order is (to be) cancelled. */
  cancellationReason: CancellationReason | null;
}

export const placedOrder: OrderFlowState = { status: 'PLACED', payment: 'pending', inventory: 'pending', cancellationReason: null };

/** Each side only moves forward: a refund heard before its payment's completion stays a refund. */
const paymentRank = { pending: 0, completed: 1, failed: 2, refunded: 2 } as const;
const inventoryRank = { pending: 0, reserved: 1, failed: 2, released: 2 } as const;

/** Folds one event of the order into its state (the event's topic is what it means). */
export function evolveOrder(state: OrderFlowState, topic: OrderTopic): OrderFlowState {
  const next = { ...state };
  const payment = (to: OrderFlowState['payment']) => {
    if (paymentRank[to] > paymentRank[next.payment]) next.payment = to;
  };
  const inventory = (to: OrderFlowState['inventory']) => {
    if (inventoryRank[to] > inventoryRank[next.inventory]) next.inventory = to;
  };
  const failure = (reason: CancellationReason) => {
    next.cancellationReason ??= reason;
  };
  switch (topic) {
    case OrderTopics.paymentCompleted:
      payment('completed');
      break;
    case OrderTopics.paymentFailed:
      payment('failed');
      failure(CancellationReasons.PAYMENT_FAILED);
      break;
    case OrderTopics.paymentRefunded:
      payment('refunded');
      break;
    case OrderTopics.inventoryReserved:
      inventory('reserved');
      break;
    case OrderTopics.inventoryReservationFailed:
      inventory('failed');
      failure(CancellationReasons.OUT_OF_STOCK);
      break;
    case OrderTopics.inventoryReleased:
      inventory('released');
      break;
    case OrderTopics.fraudDetected:
      failure(CancellationReasons.FRAUD_DETECTED);
      break;
    case OrderTopics.shipmentFailed:
      failure(CancellationReasons.SHIPMENT_FAILED);
      break;
    case OrderTopics.shipmentCreated:
      if (next.status === 'PLACED') next.status = 'SHIPPED';
      break;
    case OrderTopics.cancelled:
      next.status = 'CANCELLED';
      break;
    default:
      break;
  }
  return next;
}

export type OrderDecision = { cancel: CancellationReason } | null;

/**
 * A placed order that failed is cancelled once it holds no money and no stock: its payment failed
 * or was refunded, and its reservation failed or was released. Until then the compensations are
 * under way (or the other side has not answered yet) and the order stays PLACED.
 */
export function decideOrder(state: OrderFlowState): OrderDecision {
  if (state.status !== 'PLACED' || state.cancellationReason === null) return null;
  const noMoney = state.payment === 'failed' || state.payment === 'refunded';
  const noStock = state.inventory === 'failed' || state.inventory === 'released';
  return noMoney && noStock ? { cancel: state.cancellationReason } : null;
}
