import { describe, expect, it } from 'vitest';
import { createBackboneMetrics, createMetricsRegistry } from './metrics.ts';

describe('backbone metrics', () => {
  it('exposes every metric with its help text and labels', async () => {
    const registry = createMetricsRegistry({ processMetrics: false, defaultLabels: { service: 'ledger' } });
    const metrics = createBackboneMetrics(registry);
    metrics.eventsProduced.inc({ topic: 'payments.submitted.v1' });
    metrics.eventsConsumed.inc({ group: 'ledger', topic: 'payments.submitted.v1' }, 3);
    metrics.eventsRetried.inc({ group: 'ledger', topic: 'payments.submitted.v1' });
    metrics.eventsDeadLettered.inc({ group: 'ledger', topic: 'payments.submitted.v1', code: 'HANDLER_REJECTED' });
    metrics.handlerDurationSeconds.observe({ group: 'ledger', topic: 'payments.submitted.v1' }, 0.004);
    metrics.batchSize.observe({ group: 'ledger', topic: 'payments.submitted.v1' }, 20);
    metrics.consumerLagMessages.set({ group: 'ledger', topic: 'payments.submitted.v1' }, 7);
    metrics.maxConsumerLagMessages.set({ group: 'ledger', topic: 'payments.submitted.v1' }, 5);
    metrics.consumerLagSeconds.set({ group: 'ledger', topic: 'payments.submitted.v1' }, 1.5);
    metrics.partitionLagMessages.set({ group: 'ledger', topic: 'payments.submitted.v1', partition: '0' }, 5);
    metrics.partitionLagSeconds.set({ group: 'ledger', topic: 'payments.submitted.v1', partition: '0' }, 1.5);
    metrics.outboxBacklogRows.set(4);
    metrics.outboxOldestAgeSeconds.set(2);
    metrics.dlqDepth.set({ topic: 'payments.submitted.v1.dlq' }, 1);

    const text = await registry.metrics();
    for (const line of [
      '# HELP paystream_events_produced_total Records published by the backbone, per topic.',
      'paystream_events_produced_total{topic="payments.submitted.v1",service="ledger"} 1',
      'paystream_events_consumed_total{group="ledger",topic="payments.submitted.v1",service="ledger"} 3',
      'paystream_events_retried_total{group="ledger",topic="payments.submitted.v1",service="ledger"} 1',
      'paystream_events_dead_lettered_total{group="ledger",topic="payments.submitted.v1",code="HANDLER_REJECTED",service="ledger"} 1',
      '# TYPE paystream_handler_duration_seconds histogram',
      'paystream_handler_duration_seconds_bucket{le="0.005",service="ledger",group="ledger",topic="payments.submitted.v1"} 1',
      'paystream_batch_size_bucket{le="25",service="ledger",group="ledger",topic="payments.submitted.v1"} 1',
      'paystream_consumer_lag_messages{group="ledger",topic="payments.submitted.v1",service="ledger"} 7',
      'paystream_consumer_lag_messages_max{group="ledger",topic="payments.submitted.v1",service="ledger"} 5',
      'paystream_consumer_lag_seconds{group="ledger",topic="payments.submitted.v1",service="ledger"} 1.5',
      'paystream_consumer_partition_lag_messages{group="ledger",topic="payments.submitted.v1",partition="0",service="ledger"} 5',
      'paystream_consumer_partition_lag_seconds{group="ledger",topic="payments.submitted.v1",partition="0",service="ledger"} 1.5',
      'paystream_outbox_backlog_rows{service="ledger"} 4',
      'paystream_outbox_oldest_age_seconds{service="ledger"} 2',
      'paystream_dlq_depth{topic="payments.submitted.v1.dlq",service="ledger"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('keeps registries apart, so two components can each create the set', async () => {
    const first = createMetricsRegistry({ processMetrics: false });
    const second = createMetricsRegistry({ processMetrics: false });
    createBackboneMetrics(first).eventsProduced.inc({ topic: 't' }, 2);
    createBackboneMetrics(second);
    expect(await second.metrics()).not.toContain('paystream_events_produced_total{');
    expect(await first.metrics()).toContain('paystream_events_produced_total{topic="t"} 2');
  });

  it('adds the process and Node.js metrics under their stock names, which standard dashboards expect', async () => {
    const text = await createMetricsRegistry().metrics();
    expect(text).toContain('\nprocess_cpu_seconds_total ');
    expect(text).toContain('\nnodejs_eventloop_lag_seconds ');
    expect(text).not.toContain('paystream_process_');
    expect(text).not.toContain('paystream_nodejs_');
  });

  it('runs each collect hook once per scrape, before the gauges are read', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const metrics = createBackboneMetrics(registry);
    let runs = 0;
    const unregister = metrics.onCollect(async () => {
      runs += 1;
      metrics.outboxBacklogRows.set(runs * 10);
    });
    expect(await registry.metrics()).toContain('paystream_outbox_backlog_rows 10');
    expect(runs).toBe(1);
    await registry.metrics();
    expect(runs).toBe(2);
    unregister();
    await registry.metrics();
    expect(runs).toBe(2);
  });

  it('does not fail a scrape when a hook rejects', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    createBackboneMetrics(registry).onCollect(() => Promise.reject(new Error('database down')));
    await expect(registry.metrics()).resolves.toContain('paystream_dlq_depth');
  });
});
