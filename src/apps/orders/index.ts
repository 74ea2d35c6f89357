// The order flow of issue 15, choreographed: a second application on paystream's backbone, with
// no central controller. Each participant is its own consumer group with its own tables; they
// hear each other's events and nothing else. See docs/orders.md.
import type { SqlRunner } from '../../backbone/storage/index.ts';
import type { TopicSpec } from '../../backbone/topics/index.ts';
import type { OrdersAppDeps, OrdersParticipant } from './app.ts';
import { orderSchemaMap, orderTopicSpecs } from './contracts.ts';
import { ordersParticipant } from './orders/participant.ts';
import { paymentParticipant } from './payment/participant.ts';
import { inventoryParticipant } from './inventory/participant.ts';
import { shippingParticipant } from './shipping/participant.ts';
import { fraudCheckParticipant } from './fraud-check/participant.ts';
import { notificationsParticipant } from './notifications/participant.ts';
import { analyticsParticipant } from './analytics/participant.ts';
import type { FraudCheckOptions } from './fraud-check/domain.ts';
import { declaredOutbox, withDeclaredOutputs } from './flow.ts';

export type { OrdersAppDeps, OrdersParticipant } from './app.ts';
export { httpPaymentsApi, type PaymentsApi } from './payment/payments-api.ts';
export * from './contracts.ts';
export { ordersFlowDiagram, orderParticipantOutputs } from './flow.ts';

export interface OrdersAppOptions {
  /** This bank's BIC (the creditor agent of the internal transfers). */
  bankBic: string;
  /** Every participant's blocking retry delays; default 1 s, 5 s, 30 s. */
  retryDelaysMs?: readonly number[];
  payment?: { recoveryIntervalMs?: number; recheckAfterMs?: number };
  fraudCheck?: Partial<FraudCheckOptions>;
}

export interface OrdersApp {
  participants: OrdersParticipant[];
  /** Avro value schema per order topic, for the codec. */
  schemas: Map<string, string>;
  topics: TopicSpec[];
}

export const orderParticipantNames = [
  'orders',
  'orders-payment',
  'orders-inventory',
  'orders-shipping',
  'orders-fraud-check',
  'orders-notifications',
  'orders-analytics',
] as const;

export function createOrdersApp(deps: OrdersAppDeps, options: OrdersAppOptions): OrdersApp {
  const retry = options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {};
  // Each participant publishes through an outbox that refuses what its declaration (flow.ts) does not list.
  const declared = (participant: string): OrdersAppDeps => ({ ...deps, outbox: declaredOutbox(deps.outbox, participant) });
  return {
    participants: [
      ordersParticipant(declared('orders'), retry),
      paymentParticipant(declared('orders-payment'), { bankBic: options.bankBic, ...retry, ...options.payment }),
      inventoryParticipant(declared('orders-inventory'), retry),
      shippingParticipant(declared('orders-shipping'), retry),
      fraudCheckParticipant(declared('orders-fraud-check'), { ...retry, ...(options.fraudCheck && { rules: options.fraudCheck }) }),
      notificationsParticipant(declared('orders-notifications'), retry),
      analyticsParticipant(declared('orders-analytics'), retry),
    ].map(withDeclaredOutputs),
    schemas: orderSchemaMap(),
    topics: orderTopicSpecs(),
  };
}

/** The stored key of the order flow, or undefined before the first start. */
export async function storedPaymentsApiKey(db: SqlRunner): Promise<{ apiKey: string; keyId: string } | undefined> {
  const row = (await db.query<{ api_key: string; key_id: string }>(`select api_key, key_id from order_payment_credentials where id = 1`))
    .rows[0];
  return row && { apiKey: row.api_key, keyId: row.key_id };
}

/** Stores `key` unless another process stored one first; returns the stored one. */
export async function storePaymentsApiKey(
  db: SqlRunner,
  key: { apiKey: string; keyId: string },
  replace: boolean,
): Promise<{ apiKey: string; keyId: string }> {
  await db.query(
    `insert into order_payment_credentials (id, api_key, key_id) values (1, $1, $2)
     on conflict (id) do ${replace ? 'update set api_key = excluded.api_key, key_id = excluded.key_id' : 'nothing'}`,
    [key.apiKey, key.keyId],
  );
  return (await storedPaymentsApiKey(db))!;
}
