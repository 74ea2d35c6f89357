// Notifications to the customer: the order was paid, it has shipped, it was cancelled. Each is
// written once per event to the app's outbox of messages (`order_notifications`), from which a
// delivery channel (paystream's notification providers, a merchant's shop) takes them. A
// cancellation for fraud reads like any other: the customer is never told a check fired.
import type { ConsumerOptions } from '../../../backbone/consumer/index.ts';
import { formatDecimal } from '../../../contracts/index.ts';
import { CancellationReasons, isOrderEventOf, OrderTopics } from '../contracts.ts';
import type { OrdersAppDeps, OrdersParticipant } from '../app.ts';

export const notificationMigrations = [
  {
    id: 1,
    name: 'messages to customers about their orders',
    sql: `
      create table order_notifications (
        event_id text primary key,
        order_id text not null,
        kind text not null,
        message text not null,
        created_at timestamptz not null
      );
      create index order_notifications_order on order_notifications (order_id);
    `,
  },
];

/** The message for each cancellation reason: what the customer can act on, and nothing about checks. */
export const cancellationMessages: Record<string, string> = {
  [CancellationReasons.OUT_OF_STOCK]: 'Your order was cancelled: an item is out of stock. Any payment has been refunded.',
  [CancellationReasons.PAYMENT_FAILED]: 'Your order was cancelled: the payment could not be made.',
  [CancellationReasons.SHIPMENT_FAILED]:
    'Your order was cancelled: it cannot be delivered to the address given. Your payment has been refunded.',
};
const neutralCancellation = 'Your order could not be processed and was cancelled. Any payment has been refunded.';

export function notificationsParticipant(deps: OrdersAppDeps, options: { retryDelaysMs?: readonly number[] }): OrdersParticipant {
  const consumer: ConsumerOptions = {
    name: 'orders-notifications',
    topics: [OrderTopics.paymentCompleted, OrderTopics.shipmentCreated, OrderTopics.cancelled],
    retry: { mode: 'blocking', delaysMs: options.retryDelaysMs ?? [1_000, 5_000, 30_000] },
    // One row per event id (the primary key): a redelivered event writes nothing.
    deduplication: 'handler',
    handler: async (event, { tx }) => {
      let kind: string;
      let message: string;
      if (isOrderEventOf(event, OrderTopics.paymentCompleted)) {
        kind = 'payment-completed';
        message = `We received your payment of ${formatDecimal(event.payload.amountMinor, event.payload.currency)} ${event.payload.currency}.`;
      } else if (isOrderEventOf(event, OrderTopics.shipmentCreated)) {
        kind = 'shipment-created';
        message = `Your order has shipped with ${event.payload.carrier}, tracking number ${event.payload.trackingNumber}.`;
      } else if (isOrderEventOf(event, OrderTopics.cancelled)) {
        kind = 'order-cancelled';
        message = cancellationMessages[event.payload.reasonCode] ?? neutralCancellation;
      } else return;
      await tx.query(
        `insert into order_notifications (event_id, order_id, kind, message, created_at) values ($1, $2, $3, $4, $5)
         on conflict (event_id) do nothing`,
        [event.envelope.eventId, event.payload.orderId, kind, message, new Date(deps.clock.nowMs())],
      );
    },
  };
  return { name: 'orders-notifications', migrations: notificationMigrations, consumers: [consumer] };
}
