// Shipping: creates the shipment once the order is paid, cleared by the fraud check and reserved,
// whatever order those facts arrive in, and never twice. The simulated carrier is a pure function
// of the order (deterministic), so it is asked inside the transaction; a real carrier would be
// called after the commit with the order id as its idempotency key, as the payment participant
// calls the payment API.
import type { ConsumerOptions } from '../../../backbone/consumer/index.ts';
import { isOrderEventOf, orderEvent, OrderTopics } from '../contracts.ts';
import type { OrdersAppDeps, OrdersParticipant } from '../app.ts';
import { evolveShipment, readyToShip, simulatedCarrier, type ShipmentFact, type ShipmentState } from './domain.ts';

export const shippingMigrations = [
  {
    id: 1,
    name: 'what each order waits for before it ships, and its shipment',
    sql: `
      create table order_shipments (
        order_id text primary key,
        destination_country text,
        amount_minor int8,
        currency text,
        paid boolean not null default false,
        fraud_cleared boolean not null default false,
        reserved boolean not null default false,
        stage text not null default 'waiting',
        shipment_id text,
        carrier text,
        tracking_number text,
        updated_at timestamptz not null
      );
    `,
  },
];

interface ShipmentRow {
  destination_country: string | null;
  amount_minor: bigint | null;
  currency: string | null;
  paid: boolean;
  fraud_cleared: boolean;
  reserved: boolean;
  stage: ShipmentState['stage'];
}

export function shippingParticipant(deps: OrdersAppDeps, options: { retryDelaysMs?: readonly number[] }): OrdersParticipant {
  const consumer: ConsumerOptions = {
    name: 'orders-shipping',
    topics: [OrderTopics.placed, OrderTopics.paymentCompleted, OrderTopics.fraudCleared, OrderTopics.inventoryReserved],
    retry: { mode: 'blocking', delaysMs: options.retryDelaysMs ?? [1_000, 5_000, 30_000] },
    handler: async (event, { tx, emit }) => {
      let fact: ShipmentFact;
      let order: ShipmentState['order'] = null;
      if (isOrderEventOf(event, OrderTopics.placed)) {
        fact = 'placed';
        order = {
          destinationCountry: event.payload.destinationCountry,
          amountMinor: event.payload.amountMinor,
          currency: event.payload.currency,
        };
      } else if (isOrderEventOf(event, OrderTopics.paymentCompleted)) fact = 'paid';
      else if (isOrderEventOf(event, OrderTopics.fraudCleared)) fact = 'fraud-cleared';
      else if (isOrderEventOf(event, OrderTopics.inventoryReserved)) fact = 'reserved';
      else return;
      const orderId = event.payload.orderId;
      const now = new Date(deps.clock.nowMs());
      await tx.query(`insert into order_shipments (order_id, updated_at) values ($1, $2) on conflict (order_id) do nothing`, [
        orderId,
        now,
      ]);
      const row = (await tx.query<ShipmentRow>(`select * from order_shipments where order_id = $1 for update`, [orderId])).rows[0]!;
      const before: ShipmentState = {
        order:
          row.destination_country === null
            ? null
            : { destinationCountry: row.destination_country, amountMinor: row.amount_minor!, currency: row.currency! },
        paid: row.paid,
        fraudCleared: row.fraud_cleared,
        reserved: row.reserved,
        stage: row.stage,
      };
      const state = evolveShipment(before, fact, order);
      let stage = state.stage;
      let shipment: { shipmentId: string; carrier: string; trackingNumber: string } | null = null;
      if (readyToShip(state)) {
        const answer = simulatedCarrier(orderId, state.order!.destinationCountry);
        if (answer.accepted) {
          stage = 'created';
          shipment = { shipmentId: `shp-${orderId}`, carrier: answer.carrier, trackingNumber: answer.trackingNumber };
          emit(orderEvent(OrderTopics.shipmentCreated, { orderId, ...shipment, ...state.order! }));
        } else {
          stage = 'failed';
          emit(orderEvent(OrderTopics.shipmentFailed, { orderId, reasonCode: answer.reasonCode, reason: answer.reason }));
        }
      }
      await tx.query(
        `update order_shipments set destination_country = $2, amount_minor = $3, currency = $4, paid = $5, fraud_cleared = $6,
           reserved = $7, stage = $8, shipment_id = coalesce($9, shipment_id), carrier = coalesce($10, carrier),
           tracking_number = coalesce($11, tracking_number), updated_at = $12
         where order_id = $1`,
        [
          orderId,
          state.order?.destinationCountry ?? null,
          state.order?.amountMinor ?? null,
          state.order?.currency ?? null,
          state.paid,
          state.fraudCleared,
          state.reserved,
          stage,
          shipment?.shipmentId ?? null,
          shipment?.carrier ?? null,
          shipment?.trackingNumber ?? null,
          now,
        ],
      );
    },
  };
  return { name: 'orders-shipping', migrations: shippingMigrations, consumers: [consumer] };
}
