import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { Database } from '../../../backbone/storage/index.ts';
import { refundFailedGaugeName, refundFailureMetrics } from './refund-metrics.ts';

// The gauge an alert rule reads when a refund fails: counted from the participant's table at each
// scrape, registered once per registry, and the only order-flow metric the rules may name.
describe('the failed refunds gauge', () => {
  const countingDb = (count: () => bigint) =>
    ({
      query: async (sql: string) => {
        expect(sql).toContain(`stage = 'refund-failed'`);
        return { rows: [{ count: count() }], rowCount: 1 };
      },
    }) as unknown as Database;

  it('reads the orders whose refund failed at each scrape', async () => {
    const registry = new Registry();
    let failed = 2n;
    refundFailureMetrics({ db: countingDb(() => failed), metricsRegistry: registry });
    expect(await registry.metrics()).toContain(`${refundFailedGaugeName} 2`);
    failed = 0n;
    expect(await registry.metrics()).toContain(`${refundFailedGaugeName} 0`);
  });

  it('is registered once however many times the app is built on one registry', async () => {
    const registry = new Registry();
    refundFailureMetrics({ db: countingDb(() => 1n), metricsRegistry: registry });
    refundFailureMetrics({ db: countingDb(() => 1n), metricsRegistry: registry });
    expect(registry.getMetricsAsArray().map((metric) => metric.name)).toEqual([refundFailedGaugeName]);
  });

  it('backs every order-flow metric the alert rules use', async () => {
    const registry = new Registry();
    refundFailureMetrics({ db: countingDb(() => 0n), metricsRegistry: registry });
    const defined = new Set(registry.getMetricsAsArray().map((metric) => metric.name));
    const rules = await readFile(new URL('../../../../docs/operating/alerts.yml', import.meta.url), 'utf8');
    const used = new Set(rules.match(/paystream_orders_[a-z_]+/g));
    expect(used).toEqual(new Set([refundFailedGaugeName]));
    for (const name of used) expect(defined, `${name} in alerts.yml`).toContain(name);
  });
});
