import { describe, expect, it } from 'vitest';
import type { EventBus } from '../messaging/event-bus.ts';
import { createLagCollector } from './lag.ts';
import { createBackboneMetrics, createMetricsRegistry } from './metrics.ts';

/** The two offset queries of the event bus, over maps the test sets; counts the calls. */
class OffsetsBus implements Pick<EventBus, 'endOffsets' | 'committedOffsets'> {
  readonly ends = new Map<string, Map<number, bigint>>();
  readonly committed = new Map<string, Map<number, bigint>>();
  calls = 0;
  failing = false;

  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    this.calls += 1;
    if (this.failing) throw new Error('broker unavailable');
    return new Map(this.ends.get(topic));
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
    return new Map(this.committed.get(`${groupId}/${topic}`));
  }
}

function setup(options: { refreshIntervalMs?: number; perPartition?: boolean } = {}) {
  const bus = new OffsetsBus();
  const registry = createMetricsRegistry({ processMetrics: false });
  const metrics = createBackboneMetrics(registry);
  const clock = { nowMs: 1_000_000 };
  const errors: unknown[] = [];
  const collector = createLagCollector({
    bus,
    metrics,
    groups: [{ groupId: 'ledger', topics: ['payments.submitted.v1'] }],
    deadLetters: { reviewGroupId: 'dlq-review', topics: ['payments.submitted.v1.dlq'] },
    refreshIntervalMs: options.refreshIntervalMs ?? 10_000,
    perPartition: options.perPartition ?? false,
    nowMs: () => clock.nowMs,
    onError: (error) => errors.push(error),
  });
  const gauge = async (name: string) => {
    const metric = await registry.getSingleMetric(name)!.get();
    return Object.fromEntries(metric.values.map((value) => [Object.values(value.labels).join('/'), value.value]));
  };
  return { bus, registry, metrics, clock, errors, collector, gauge };
}

describe('lag collector', () => {
  it('sets lag per group and topic: the sum and the max of end offset minus committed over the partitions, a partition never committed counting whole', async () => {
    const { bus, registry, gauge } = setup();
    bus.ends.set(
      'payments.submitted.v1',
      new Map([
        [0, 100n],
        [1, 50n],
        [2, 7n],
      ]),
    );
    bus.committed.set(
      'ledger/payments.submitted.v1',
      new Map([
        [0, 40n],
        [1, 50n],
      ]),
    );

    const text = await registry.metrics();

    expect(await gauge('paystream_consumer_lag_messages')).toEqual({ 'ledger/payments.submitted.v1': 67 });
    expect(await gauge('paystream_consumer_lag_messages_max')).toEqual({ 'ledger/payments.submitted.v1': 60 });
    expect(text).not.toContain('paystream_consumer_partition_lag_messages{');
  });

  it('sets lag per partition too when asked', async () => {
    const { bus, registry, gauge } = setup({ perPartition: true });
    bus.ends.set(
      'payments.submitted.v1',
      new Map([
        [0, 100n],
        [1, 50n],
        [2, 7n],
      ]),
    );
    bus.committed.set(
      'ledger/payments.submitted.v1',
      new Map([
        [0, 40n],
        [1, 50n],
      ]),
    );

    await registry.metrics();

    expect(await gauge('paystream_consumer_partition_lag_messages')).toEqual({
      'ledger/payments.submitted.v1/0': 60,
      'ledger/payments.submitted.v1/1': 0,
      'ledger/payments.submitted.v1/2': 7,
    });
    expect(await gauge('paystream_consumer_lag_messages')).toEqual({ 'ledger/payments.submitted.v1': 67 });
  });

  it('sets the dead-letter depth from the review group', async () => {
    const { bus, registry, gauge } = setup();
    bus.ends.set(
      'payments.submitted.v1.dlq',
      new Map([
        [0, 3n],
        [1, 2n],
      ]),
    );
    bus.committed.set('dlq-review/payments.submitted.v1.dlq', new Map([[0, 1n]]));
    await registry.metrics();
    expect(await gauge('paystream_dlq_depth')).toEqual({ 'payments.submitted.v1.dlq': 4 });
  });

  it('asks the bus once per interval, however often and however concurrently it is scraped', async () => {
    const { bus, registry, clock } = setup();
    bus.ends.set('payments.submitted.v1', new Map([[0, 1n]]));
    await Promise.all([registry.metrics(), registry.metrics(), registry.metrics()]);
    const perCollection = bus.calls;
    expect(perCollection).toBe(2); // the consumed topic and the dead-letter topic
    clock.nowMs += 9_999;
    await registry.metrics();
    expect(bus.calls).toBe(perCollection);
    clock.nowMs += 1;
    await registry.metrics();
    expect(bus.calls).toBe(2 * perCollection);
  });

  it('estimates lag in seconds from the history of end offsets', async () => {
    const { bus, collector, clock, gauge } = setup({ refreshIntervalMs: 0 });
    const ends = new Map([[0, 0n]]);
    bus.ends.set('payments.submitted.v1', ends);
    bus.committed.set('ledger/payments.submitted.v1', new Map([[0, 0n]]));
    await collector.refresh(); // t = 0 s: empty partition
    clock.nowMs += 10_000;
    ends.set(0, 10n);
    await collector.refresh(); // t = 10 s: offsets 0..9 arrived during the last 10 s
    clock.nowMs += 20_000;
    await collector.refresh(); // t = 30 s: nothing consumed

    // Offset 0 was appended at about 1 s (the first of ten evenly spread records), 29 s ago.
    expect(await gauge('paystream_consumer_lag_seconds')).toEqual({ 'ledger/payments.submitted.v1': 29 });
    expect(collector.snapshot()).toEqual([
      {
        groupId: 'ledger',
        topic: 'payments.submitted.v1',
        partition: 0,
        endOffset: 10n,
        committedOffset: 0n,
        lagMessages: 10n,
        lagSeconds: 29,
      },
    ]);

    bus.committed.set('ledger/payments.submitted.v1', new Map([[0, 10n]]));
    await collector.refresh();
    expect(await gauge('paystream_consumer_lag_seconds')).toEqual({ 'ledger/payments.submitted.v1': 0 });
  });

  it('reports a growing lower bound while the unconsumed record predates the history', async () => {
    const { bus, collector, clock } = setup({ refreshIntervalMs: 0 });
    bus.ends.set('payments.submitted.v1', new Map([[0, 500n]]));
    await collector.refresh();
    clock.nowMs += 60_000;
    await collector.refresh();
    expect(collector.snapshot()[0]?.lagSeconds).toBe(60);
  });

  it('removes the series of partitions that went away', async () => {
    const { bus, collector, gauge } = setup({ refreshIntervalMs: 0, perPartition: true });
    bus.ends.set(
      'payments.submitted.v1',
      new Map([
        [0, 1n],
        [1, 1n],
      ]),
    );
    await collector.refresh();
    bus.ends.set('payments.submitted.v1', new Map([[0, 1n]]));
    await collector.refresh();
    expect(Object.keys(await gauge('paystream_consumer_partition_lag_messages'))).toEqual(['ledger/payments.submitted.v1/0']);
    expect(await gauge('paystream_consumer_lag_messages')).toEqual({ 'ledger/payments.submitted.v1': 1 });
  });

  it('keeps the last values and reports the error when the bus fails, without failing the scrape', async () => {
    const { bus, registry, clock, errors, gauge } = setup();
    bus.ends.set('payments.submitted.v1', new Map([[0, 5n]]));
    await registry.metrics();
    bus.failing = true;
    clock.nowMs += 10_000;
    await expect(registry.metrics()).resolves.toContain('paystream_consumer_lag_messages');
    expect(errors).toEqual([new Error('broker unavailable')]);
    expect(await gauge('paystream_consumer_lag_messages')).toEqual({ 'ledger/payments.submitted.v1': 5 });
  });

  it('stops collecting on scrape once stopped', async () => {
    const { bus, registry, collector } = setup({ refreshIntervalMs: 0 });
    collector.stop();
    await registry.metrics();
    expect(bus.calls).toBe(0);
  });
});
