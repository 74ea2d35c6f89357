// The fraud check: every paid order is scored once, before it may ship; the answer is FraudCleared
// (shipping may go on) or FraudDetected (the order is cancelled and compensated).
import type { ConsumerOptions } from '../../../backbone/consumer/index.ts';
import { isOrderEventOf, orderEvent, OrderTopics } from '../contracts.ts';
import type { OrdersAppDeps, OrdersParticipant } from '../app.ts';
import { decideFraud, defaultFraudCheckOptions, type FraudCheckOptions } from './domain.ts';

export const fraudCheckMigrations = [
  {
    id: 1,
    name: 'the fraud check of each paid order',
    sql: `
      create table order_fraud_checks (
        order_id text primary key,
        score int4 not null,
        detected boolean not null,
        rule text,
        checked_at timestamptz not null
      );
    `,
  },
];

export function fraudCheckParticipant(
  deps: OrdersAppDeps,
  options: { retryDelaysMs?: readonly number[]; rules?: Partial<FraudCheckOptions> },
): OrdersParticipant {
  const rules = { ...defaultFraudCheckOptions, ...options.rules };
  const consumer: ConsumerOptions = {
    name: 'orders-fraud-check',
    topics: [OrderTopics.paymentCompleted],
    retry: { mode: 'blocking', delaysMs: options.retryDelaysMs ?? [1_000, 5_000, 30_000] },
    handler: async (event, { tx, emit }) => {
      if (!isOrderEventOf(event, OrderTopics.paymentCompleted)) return;
      const { orderId, amountMinor } = event.payload;
      const verdict = decideFraud({ amountMinor }, rules);
      const inserted = await tx.query(
        `insert into order_fraud_checks (order_id, score, detected, rule, checked_at) values ($1, $2, $3, $4, $5)
         on conflict (order_id) do nothing returning order_id`,
        [orderId, verdict.score, verdict.detected, verdict.detected ? verdict.rule : null, new Date(deps.clock.nowMs())],
      );
      if (inserted.rows.length === 0) return; // checked already
      emit(
        verdict.detected
          ? orderEvent(OrderTopics.fraudDetected, { orderId, score: verdict.score, rule: verdict.rule })
          : orderEvent(OrderTopics.fraudCleared, { orderId, score: verdict.score }),
      );
    },
  };
  return { name: 'orders-fraud-check', migrations: fraudCheckMigrations, consumers: [consumer] };
}
