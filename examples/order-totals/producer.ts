// A tiny producer: encodes orders as events (payload by the codec, envelope in the headers) and
// publishes them. A service that also writes its own tables would instead emit through the outbox
// in its transaction, as the consumer does; a producer with no state of its own publishes directly.
import { randomUUID } from 'node:crypto';
import type { EventBus, OutgoingMessage } from '../../src/backbone/messaging/index.ts';
import type { EventCodec } from '../../src/backbone/codec/index.ts';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/index.ts';
import { EventEncoder } from '../../src/backbone/envelope/index.ts';
import { ordersPlacedTopic, type OrderPlaced } from './order-totals.ts';

/** A few orders of three customers, in two currencies (amounts in minor units). */
export function sampleOrders(): OrderPlaced[] {
  const order = (customerId: string, currency: string, amountMinor: bigint): OrderPlaced => ({
    orderId: randomUUID(),
    customerId,
    currency,
    amountMinor,
  });
  return [
    order('customer-1', 'EUR', 1_250_50n),
    order('customer-2', 'EUR', 99_99n),
    order('customer-1', 'EUR', 10_00n),
    order('customer-3', 'GBP', 5_000_00n),
    order('customer-2', 'USD', 42_00n),
    order('customer-1', 'EUR', 1n),
  ];
}

/** Publishes one `orders.placed` event per order, keyed by customer; returns the messages sent. */
export async function placeOrders(bus: EventBus, codec: EventCodec, orders: readonly OrderPlaced[]): Promise<OutgoingMessage[]> {
  const encoder = new EventEncoder(codec, uuidV7Ids, systemClock);
  const messages: OutgoingMessage[] = [];
  for (const order of orders) {
    // Each order starts a flow of its own: its id is the correlation id every later event carries.
    const { message } = await encoder.encode(
      { topic: ordersPlacedTopic, eventType: 'orders.placed', key: order.customerId, payload: order },
      { correlationId: order.orderId },
    );
    messages.push(message);
  }
  await bus.publish(messages);
  return messages;
}
