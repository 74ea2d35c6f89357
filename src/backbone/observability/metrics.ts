import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Labels on every series of this registry, e.g. `{ service: 'ledger' }`. */
  defaultLabels?: Record<string, string>;
  /**
   * prom-client's process and Node.js metrics (heap, GC, event-loop delay) under their stock names
   * (`process_*`, `nodejs_*`), which the standard Node.js dashboards expect. Default true; tests
   * turn it off to keep exposition small.
   */
  processMetrics?: boolean;
}

/**
 * A registry of its own, never prom-client's global one: tests and several components in one
 * process each get theirs, and nothing registers twice by accident. Serve it with
 * `registry.contentType` and `await registry.metrics()`.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels(options.defaultLabels);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Seconds; from 1 ms to 10 s, dense where a handler that does one database transaction lands. */
export const handlerDurationBucketsSeconds: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Records per batch, up to the event bus's default `maxBatchRecords` of 500 and beyond. */
export const batchSizeBuckets: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

/** The backbone's metrics. Labels are typed, so a misspelt label is a compile error. */
export interface BackboneMetrics {
  /** Records the backbone published (outbox relay, retry and dead-letter producers). */
  eventsProduced: Counter<'topic'>;
  /** Records handed to a handler that then succeeded. */
  eventsConsumed: Counter<'group' | 'topic'>;
  /** Failed records scheduled for another attempt (blocking or through a retry topic). */
  eventsRetried: Counter<'group' | 'topic'>;
  /** Records sent to a dead-letter topic; `code` is an `ErrorCode`, a closed list. */
  eventsDeadLettered: Counter<'group' | 'topic' | 'code'>;
  /** One observation per handler call (one event, or one batch for batch handlers). */
  handlerDurationSeconds: Histogram<'group' | 'topic'>;
  /** Records per delivered batch. */
  batchSize: Histogram<'group' | 'topic'>;
  /**
   * Records the group has not consumed on the topic, summed over its partitions (end offset minus
   * committed offset, per partition). Set by the lag collector (`lag.ts`).
   */
  consumerLagMessages: Gauge<'group' | 'topic'>;
  /** The lag of the topic's most lagging partition: one stuck partition among many shows here. */
  maxConsumerLagMessages: Gauge<'group' | 'topic'>;
  /** How long the oldest unconsumed record of the topic has waited (max over partitions), estimated. */
  consumerLagSeconds: Gauge<'group' | 'topic'>;
  /**
   * When a member of the group last showed its poll loop alive (Unix seconds): a fetch answered,
   * with records or not, or a batch handled. Set by each process's consumer runner for its own
   * members, so `max by (group)` is the group's freshest member; removed when the runner stops.
   */
  consumerHeartbeatSeconds: Gauge<'group'>;
  /** Lag per partition: set only when the collector is asked to (`perPartition`), hundreds of series. */
  partitionLagMessages: Gauge<'group' | 'topic' | 'partition'>;
  /** Lag in seconds per partition: set only when the collector is asked to (`perPartition`). */
  partitionLagSeconds: Gauge<'group' | 'topic' | 'partition'>;
  /** Outbox rows written but not yet published. */
  outboxBacklogRows: Gauge;
  /** Age of the oldest unpublished outbox row; 0 when the outbox is empty. */
  outboxOldestAgeSeconds: Gauge;
  /** Dead letters not yet handled by the operators' review group (see `lag.ts`). */
  dlqDepth: Gauge<'topic'>;
  /**
   * Registers work to run before the scraped gauges above (lag, outbox, DLQ) are read, e.g. a
   * query of the outbox table. Hooks run once per scrape however many gauges they feed, must not
   * throw, and should cache if they are expensive. Returns a function that unregisters the hook.
   */
  onCollect(hook: () => Promise<void>): () => void;
}

export function createBackboneMetrics(registry: Registry): BackboneMetrics {
  const registers = [registry];
  const hooks = new Set<() => Promise<void>>();
  // prom-client reads all metrics of a scrape concurrently and calls `collect` per gauge; sharing
  // one in-flight run makes every hook run once per scrape.
  let running: Promise<void> | undefined;
  const collect = (): Promise<void> => {
    running ??= Promise.allSettled([...hooks].map((hook) => hook())).then(() => {
      running = undefined;
    });
    return running;
  };

  return {
    eventsProduced: new Counter({
      name: 'paystream_events_produced_total',
      help: 'Records published by the backbone, per topic.',
      labelNames: ['topic'],
      registers,
    }),
    eventsConsumed: new Counter({
      name: 'paystream_events_consumed_total',
      help: 'Records handled successfully, per consumer group and topic.',
      labelNames: ['group', 'topic'],
      registers,
    }),
    eventsRetried: new Counter({
      name: 'paystream_events_retried_total',
      help: 'Failed records scheduled for another attempt.',
      labelNames: ['group', 'topic'],
      registers,
    }),
    eventsDeadLettered: new Counter({
      name: 'paystream_events_dead_lettered_total',
      help: 'Records sent to a dead-letter topic, by error code.',
      labelNames: ['group', 'topic', 'code'],
      registers,
    }),
    handlerDurationSeconds: new Histogram({
      name: 'paystream_handler_duration_seconds',
      help: 'Time a handler took for one delivery.',
      labelNames: ['group', 'topic'],
      buckets: [...handlerDurationBucketsSeconds],
      registers,
    }),
    batchSize: new Histogram({
      name: 'paystream_batch_size',
      help: 'Records per delivered batch.',
      labelNames: ['group', 'topic'],
      buckets: [...batchSizeBuckets],
      registers,
    }),
    consumerLagMessages: new Gauge({
      name: 'paystream_consumer_lag_messages',
      help: "Records not yet consumed, summed over the topic's partitions: end offset minus the group's committed offset.",
      labelNames: ['group', 'topic'],
      registers,
      collect,
    }),
    maxConsumerLagMessages: new Gauge({
      name: 'paystream_consumer_lag_messages_max',
      help: "Records not yet consumed on the topic's most lagging partition.",
      labelNames: ['group', 'topic'],
      registers,
      collect,
    }),
    consumerLagSeconds: new Gauge({
      name: 'paystream_consumer_lag_seconds',
      help: 'Estimated time the oldest unconsumed record of the topic (any partition) has waited.',
      labelNames: ['group', 'topic'],
      registers,
      collect,
    }),
    consumerHeartbeatSeconds: new Gauge({
      name: 'paystream_consumer_heartbeat_timestamp_seconds',
      help: "When this process's member of the group last polled the log or handled a batch (Unix time).",
      labelNames: ['group'],
      registers,
    }),
    partitionLagMessages: new Gauge({
      name: 'paystream_consumer_partition_lag_messages',
      help: 'Records not yet consumed on one partition (only with per-partition lag turned on).',
      labelNames: ['group', 'topic', 'partition'],
      registers,
      collect,
    }),
    partitionLagSeconds: new Gauge({
      name: 'paystream_consumer_partition_lag_seconds',
      help: 'Estimated time the oldest unconsumed record of one partition has waited (only with per-partition lag turned on).',
      labelNames: ['group', 'topic', 'partition'],
      registers,
      collect,
    }),
    outboxBacklogRows: new Gauge({ name: 'paystream_outbox_backlog_rows', help: 'Outbox rows not yet published.', registers, collect }),
    outboxOldestAgeSeconds: new Gauge({
      name: 'paystream_outbox_oldest_age_seconds',
      help: 'Age of the oldest unpublished outbox row.',
      registers,
      collect,
    }),
    dlqDepth: new Gauge({
      name: 'paystream_dlq_depth',
      help: 'Dead letters the review group has not handled yet, per dead-letter topic.',
      labelNames: ['topic'],
      registers,
      collect,
    }),
    onCollect(hook) {
      hooks.add(hook);
      return () => void hooks.delete(hook);
    },
  };
}
