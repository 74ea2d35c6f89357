import { Counter, Histogram, type Registry } from 'prom-client';
import type { DeliveryChannel } from './deliveries.ts';

export type DeliveryOutcome = 'sent' | 'failed' | 'dead_lettered';

/**
 * - `paystream_notification_deliveries_total{channel, outcome}`: `sent` and `failed` count
 *   attempts (a failed attempt counts whether or not another follows); `dead_lettered` counts
 *   deliveries given up after their last attempt.
 * - `paystream_notification_delivery_duration_seconds{channel}`: one observation per attempt.
 */
export interface NotificationMetrics {
  deliveries: Counter<'channel' | 'outcome'>;
  deliveryDurationSeconds: Histogram<'channel'>;
  count(channel: DeliveryChannel, outcome: DeliveryOutcome): void;
}

export function notificationMetrics(registry: Registry): NotificationMetrics {
  const deliveries =
    existing<Counter<'channel' | 'outcome'>>(registry, 'paystream_notification_deliveries_total') ??
    new Counter({
      name: 'paystream_notification_deliveries_total',
      help: 'Notification delivery attempts sent or failed, and deliveries dead-lettered, per channel.',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    });
  const deliveryDurationSeconds =
    existing<Histogram<'channel'>>(registry, 'paystream_notification_delivery_duration_seconds') ??
    new Histogram({
      name: 'paystream_notification_delivery_duration_seconds',
      help: 'Time of one delivery attempt (webhook request or provider call), per channel.',
      labelNames: ['channel'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return { deliveries, deliveryDurationSeconds, count: (channel, outcome) => deliveries.inc({ channel, outcome }) };
}

/** prom-client refuses a second registration of a name: services built twice on one registry share. */
function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}
