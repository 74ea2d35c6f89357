// The order flow's events: one topic per event type (`<domain>.<event>.v<major>`, as the payment
// topics), every event keyed by the order id, so the events of one order stay in order on each
// topic; across topics they do not, and every participant is written to accept them in any order.
// The Avro schema of each topic is the wire contract, registered under `<topic>-value`.
import type { ConsumedEvent } from '../../backbone/consumer/index.ts';
import type { TopicSpec } from '../../backbone/topics/index.ts';
import { defineTopicCatalog } from '../../contracts/index.ts';

const orderTopicCatalog = defineTopicCatalog({
  placed: ['orders.placed.v1', 'OrderPlaced'],
  cancelled: ['orders.cancelled.v1', 'OrderCancelled'],
  paymentCompleted: ['order-payments.completed.v1', 'PaymentCompleted'],
  paymentFailed: ['order-payments.failed.v1', 'PaymentFailed'],
  paymentRefunded: ['order-payments.refunded.v1', 'PaymentRefunded'],
  paymentRefundFailed: ['order-payments.refund-failed.v1', 'PaymentRefundFailed'],
  paymentRefundRetried: ['order-payments.refund-retried.v1', 'PaymentRefundRetried'],
  inventoryReserved: ['inventory.reserved.v1', 'InventoryReserved'],
  inventoryReservationFailed: ['inventory.reservation-failed.v1', 'InventoryReservationFailed'],
  inventoryReleased: ['inventory.released.v1', 'InventoryReleased'],
  fraudCleared: ['order-fraud.cleared.v1', 'FraudCleared'],
  fraudDetected: ['order-fraud.detected.v1', 'FraudDetected'],
  shipmentCreated: ['shipments.created.v1', 'ShipmentCreated'],
  shipmentFailed: ['shipments.failed.v1', 'ShipmentFailed'],
});

export const OrderTopics = orderTopicCatalog.topics;
export type OrderTopic = (typeof OrderTopics)[keyof typeof OrderTopics];

/** The event type each topic carries, as the timeline shows it. */
export const OrderEventTypes: Readonly<Record<OrderTopic, string>> = orderTopicCatalog.eventTypes;

/** Why an order was cancelled: the first failure that decided it. */
export const CancellationReasons = {
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  PAYMENT_FAILED: 'PAYMENT_FAILED',
  SHIPMENT_FAILED: 'SHIPMENT_FAILED',
  FRAUD_DETECTED: 'FRAUD_DETECTED',
} as const;
export type CancellationReason = (typeof CancellationReasons)[keyof typeof CancellationReasons];

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceMinor: bigint;
}

export interface OrderPlaced {
  orderId: string;
  /** IBANs of accounts at this bank: the customer pays the merchant. */
  customerAccount: string;
  merchantAccount: string;
  currency: string;
  /** The sum of the lines, minor units. */
  amountMinor: bigint;
  items: OrderLine[];
  /** ISO 3166-1 alpha-2, where the shipment goes. */
  destinationCountry: string;
  placedAt: string;
}

export interface OrderCancelled {
  orderId: string;
  reasonCode: CancellationReason;
  amountMinor: bigint;
  currency: string;
}

export interface OrderPaymentCompleted {
  orderId: string;
  /** paystream's payment (customer → merchant). */
  paymentId: string;
  customerAccount: string;
  amountMinor: bigint;
  currency: string;
}

export interface OrderPaymentFailed {
  orderId: string;
  /** Null when no payment was made (the order was cancelled before it could be paid). */
  paymentId: string | null;
  /** The customer's view of the reason (src/contracts/customer-view.ts): never a compliance finding. */
  reasonCode: string;
  reason: string;
}

export interface OrderPaymentRefunded {
  orderId: string;
  /** paystream's refund payment (merchant → customer). */
  refundPaymentId: string;
  amountMinor: bigint;
  currency: string;
}

export interface OrderPaymentRefundFailed {
  orderId: string;
  /** The refund payment that failed; null when the payment API refused the request itself. */
  refundPaymentId: string | null;
  /** 1 for the first refund, 2 for the first retry, … */
  attempt: number;
  /** The customer's view of the reason (src/contracts/customer-view.ts): never a compliance finding. */
  reasonCode: string;
  reason: string;
}

/** An operator sent a failed refund again (`POST /v1/orders/{orderId}/refund-retries`). */
export interface OrderPaymentRefundRetried {
  orderId: string;
  /** The attempt this retry starts (2 for the first retry). */
  attempt: number;
  /** Who retried: the operator's name and the calling API key id. */
  operator: string;
  /** Why: what was fixed (e.g. the merchant's account was funded). */
  reason: string;
}

export interface StockLine {
  sku: string;
  quantity: number;
}

export interface InventoryReserved {
  orderId: string;
  items: StockLine[];
}

export interface InventoryReservationFailed {
  orderId: string;
  /** OUT_OF_STOCK, or ORDER_CANCELLED when the order had failed before its stock was looked at. */
  reasonCode: string;
  /** The first SKU short of stock; null for ORDER_CANCELLED. */
  sku: string | null;
}

export interface InventoryReleased {
  orderId: string;
  items: StockLine[];
}

export interface FraudCleared {
  orderId: string;
  score: number;
}

export interface FraudDetected {
  orderId: string;
  score: number;
  /** The rule that fired, for operators. */
  rule: string;
}

export interface ShipmentCreated {
  orderId: string;
  shipmentId: string;
  carrier: string;
  trackingNumber: string;
  destinationCountry: string;
  amountMinor: bigint;
  currency: string;
}

export interface ShipmentFailed {
  orderId: string;
  reasonCode: string;
  reason: string;
}

export interface OrderTopicPayloads {
  'orders.placed.v1': OrderPlaced;
  'orders.cancelled.v1': OrderCancelled;
  'order-payments.completed.v1': OrderPaymentCompleted;
  'order-payments.failed.v1': OrderPaymentFailed;
  'order-payments.refunded.v1': OrderPaymentRefunded;
  'order-payments.refund-failed.v1': OrderPaymentRefundFailed;
  'order-payments.refund-retried.v1': OrderPaymentRefundRetried;
  'inventory.reserved.v1': InventoryReserved;
  'inventory.reservation-failed.v1': InventoryReservationFailed;
  'inventory.released.v1': InventoryReleased;
  'order-fraud.cleared.v1': FraudCleared;
  'order-fraud.detected.v1': FraudDetected;
  'shipments.created.v1': ShipmentCreated;
  'shipments.failed.v1': ShipmentFailed;
}

export type OrderEvent<Topic extends OrderTopic = OrderTopic> = Topic extends OrderTopic
  ? ConsumedEvent<OrderTopicPayloads[Topic]> & { readonly topic: Topic }
  : never;

/** Whether an event was read from one of `topics`, narrowing its payload (the topic's schema decoded it). */
export function isOrderEventOf<Topic extends OrderTopic>(event: ConsumedEvent, ...topics: readonly Topic[]): event is OrderEvent<Topic> {
  return (topics as readonly string[]).includes(event.topic);
}

/** An event the order flow emits: the topic fixes the payload's type and the event type. */
export function orderEvent<Topic extends OrderTopic>(topic: Topic, payload: OrderTopicPayloads[Topic] & { orderId: string }) {
  return { topic, eventType: OrderEventTypes[topic], key: payload.orderId, payload };
}

/** The declarations of the order topics (their dead-letter topics are derived from the consumers). */
export function orderTopicSpecs(): TopicSpec[] {
  return orderTopicCatalog.specs();
}

const nullable = (type: unknown) => ({ type: ['null', type], default: null });
const record = (name: string, fields: readonly { name: string; type: unknown; default?: unknown }[]) => ({
  type: 'record',
  name,
  namespace: 'paystream.orders',
  fields,
});
const stockLine = record('StockLine', [
  { name: 'sku', type: 'string' },
  { name: 'quantity', type: 'int' },
]);

/** The Avro value schema of every order topic. Money is `amountMinor` (long) plus an ISO 4217 currency. */
export const orderSchemas: Record<OrderTopic, object> = {
  'orders.placed.v1': record('OrderPlaced', [
    { name: 'orderId', type: 'string' },
    { name: 'customerAccount', type: 'string' },
    { name: 'merchantAccount', type: 'string' },
    { name: 'currency', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    {
      name: 'items',
      type: {
        type: 'array',
        items: record('OrderLine', [
          { name: 'sku', type: 'string' },
          { name: 'quantity', type: 'int' },
          { name: 'unitPriceMinor', type: 'long' },
        ]),
      },
    },
    { name: 'destinationCountry', type: 'string' },
    { name: 'placedAt', type: 'string' },
  ]),
  'orders.cancelled.v1': record('OrderCancelled', [
    { name: 'orderId', type: 'string' },
    { name: 'reasonCode', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'currency', type: 'string' },
  ]),
  'order-payments.completed.v1': record('OrderPaymentCompleted', [
    { name: 'orderId', type: 'string' },
    { name: 'paymentId', type: 'string' },
    { name: 'customerAccount', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'currency', type: 'string' },
  ]),
  'order-payments.failed.v1': record('OrderPaymentFailed', [
    { name: 'orderId', type: 'string' },
    { name: 'paymentId', ...nullable('string') },
    { name: 'reasonCode', type: 'string' },
    { name: 'reason', type: 'string' },
  ]),
  'order-payments.refunded.v1': record('OrderPaymentRefunded', [
    { name: 'orderId', type: 'string' },
    { name: 'refundPaymentId', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'currency', type: 'string' },
  ]),
  'order-payments.refund-failed.v1': record('OrderPaymentRefundFailed', [
    { name: 'orderId', type: 'string' },
    { name: 'refundPaymentId', ...nullable('string') },
    { name: 'attempt', type: 'int' },
    { name: 'reasonCode', type: 'string' },
    { name: 'reason', type: 'string' },
  ]),
  'order-payments.refund-retried.v1': record('OrderPaymentRefundRetried', [
    { name: 'orderId', type: 'string' },
    { name: 'attempt', type: 'int' },
    { name: 'operator', type: 'string' },
    { name: 'reason', type: 'string' },
  ]),
  'inventory.reserved.v1': record('InventoryReserved', [
    { name: 'orderId', type: 'string' },
    { name: 'items', type: { type: 'array', items: stockLine } },
  ]),
  'inventory.reservation-failed.v1': record('InventoryReservationFailed', [
    { name: 'orderId', type: 'string' },
    { name: 'reasonCode', type: 'string' },
    { name: 'sku', ...nullable('string') },
  ]),
  'inventory.released.v1': record('InventoryReleased', [
    { name: 'orderId', type: 'string' },
    { name: 'items', type: { type: 'array', items: stockLine } },
  ]),
  'order-fraud.cleared.v1': record('FraudCleared', [
    { name: 'orderId', type: 'string' },
    { name: 'score', type: 'int' },
  ]),
  'order-fraud.detected.v1': record('FraudDetected', [
    { name: 'orderId', type: 'string' },
    { name: 'score', type: 'int' },
    { name: 'rule', type: 'string' },
  ]),
  'shipments.created.v1': record('ShipmentCreated', [
    { name: 'orderId', type: 'string' },
    { name: 'shipmentId', type: 'string' },
    { name: 'carrier', type: 'string' },
    { name: 'trackingNumber', type: 'string' },
    { name: 'destinationCountry', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'currency', type: 'string' },
  ]),
  'shipments.failed.v1': record('ShipmentFailed', [
    { name: 'orderId', type: 'string' },
    { name: 'reasonCode', type: 'string' },
    { name: 'reason', type: 'string' },
  ]),
};

/** Topic → schema text, for the codec and the registry. */
export function orderSchemaMap(): Map<string, string> {
  return new Map(Object.entries(orderSchemas).map(([topic, schema]) => [topic, JSON.stringify(schema)]));
}
