// The gauge operators are told by when a refund fails (docs/orders.md, "When a refund fails").
import { Gauge } from 'prom-client';
import type { OrdersAppDeps } from '../app.ts';

/** The gauge's name, for the alert rule (docs/operating/alerts.yml, PaystreamOrderRefundFailed). */
export const refundFailedGaugeName = 'paystream_orders_refund_failed';

/**
 * `paystream_orders_refund_failed`: the orders whose refund failed and waits for an operator, read
 * from the payment participant's table at each scrape, so every process reports the same number
 * (the alert takes the `max`) and it falls back to 0 once they are retried and refunded.
 */
export function refundFailureMetrics(deps: Pick<OrdersAppDeps, 'db' | 'metricsRegistry'>): void {
  const registry = deps.metricsRegistry;
  if (!registry || registry.getSingleMetric(refundFailedGaugeName)) return;
  new Gauge({
    name: refundFailedGaugeName,
    help: 'Orders whose refund failed (the merchant lacked the funds, or it was refused) and waits for an operator to retry it.',
    registers: [registry],
    async collect() {
      const result = await deps.db.query<{ count: bigint }>(
        `select count(*)::int8 as count from order_payments where stage = 'refund-failed'`,
      );
      this.set(Number(result.rows[0]?.count ?? 0n));
    },
  });
}
