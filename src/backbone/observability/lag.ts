import type { EventBus } from '../messaging/event-bus.ts';
import type { BackboneMetrics } from './metrics.ts';
import { EndOffsetHistory } from './offset-history.ts';

export interface LagCollectorOptions {
  /** Only the two read-only offset queries are used. */
  bus: Pick<EventBus, 'endOffsets' | 'committedOffsets'>;
  metrics: Pick<
    BackboneMetrics,
    | 'consumerLagMessages'
    | 'maxConsumerLagMessages'
    | 'consumerLagSeconds'
    | 'partitionLagMessages'
    | 'partitionLagSeconds'
    | 'dlqDepth'
    | 'onCollect'
  >;
  /** The consumer groups to watch and the topics each consumes. */
  groups: readonly { groupId: string; topics: readonly string[] }[];
  /**
   * Dead-letter depth = what the operators' review group has not handled on each dead-letter
   * topic. The replay and discard tools commit that group's offsets as they go.
   */
  deadLetters?: { reviewGroupId: string; topics: readonly string[] };
  /**
   * Also publish lag per partition (`paystream_consumer_partition_lag_*`). Default false: the
   * platform's groups read some 2,400 partitions in all, and a series each made `/metrics` 337 KB;
   * per group and topic (sum and max over partitions) answers the alerts' questions.
   */
  perPartition?: boolean;
  /**
   * A scrape within this time of the last collection reuses its values, so frequent or parallel
   * scrapes cost the broker nothing. Default 10 s.
   */
  refreshIntervalMs?: number;
  /** Samples of end offsets kept per partition for the lag-in-seconds estimate. Default 256. */
  maxHistorySamples?: number;
  nowMs?: () => number;
  /** A failed collection keeps the previous values and is reported here. */
  onError?: (error: unknown) => void;
}

export interface PartitionLag {
  groupId: string;
  topic: string;
  partition: number;
  endOffset: bigint;
  /** `undefined` when the group has no committed position there yet. */
  committedOffset: bigint | undefined;
  lagMessages: bigint;
  /** Estimated wait of the oldest unconsumed record; a lower bound while it predates the history. */
  lagSeconds: number;
}

export interface LagCollector {
  /**
   * Collects now, unless the last collection is younger than `refreshIntervalMs`. Concurrent
   * callers share one collection. Rejects if the bus does (the scrape hook reports to `onError`).
   */
  refresh(): Promise<void>;
  /** The last collection, for the console and the CLI. */
  snapshot(): readonly PartitionLag[];
  /** Stops collecting on scrape. The gauges keep their last values. */
  stop(): void;
}

/**
 * Consumer lag per group and topic (and per partition when asked), collected when Prometheus
 * scrapes (through `metrics.onCollect`), at most once per `refreshIntervalMs`.
 */
export function createLagCollector(options: LagCollectorOptions): LagCollector {
  const nowMs = options.nowMs ?? Date.now;
  const refreshIntervalMs = options.refreshIntervalMs ?? 10_000;
  const history = new EndOffsetHistory(options.maxHistorySamples);
  const published = { lag: new Set<string>(), partitionLag: new Set<string>(), dlq: new Set<string>() };
  let snapshot: readonly PartitionLag[] = [];
  let lastAttemptMs: number | undefined;
  let running: Promise<void> | undefined;

  const collect = async (): Promise<void> => {
    const atMs = nowMs();
    const watched = options.groups.map(({ groupId, topics }) => ({ groupId, topics, dlq: false }));
    if (options.deadLetters !== undefined)
      watched.push({ groupId: options.deadLetters.reviewGroupId, topics: options.deadLetters.topics, dlq: true });
    const topics = [...new Set(watched.flatMap((group) => group.topics))];
    const ends = new Map(await Promise.all(topics.map(async (topic) => [topic, await options.bus.endOffsets(topic)] as const)));
    for (const [topic, offsets] of ends)
      for (const [partition, endOffset] of offsets) history.record(`${topic}:${partition}`, endOffset, atMs);
    history.retain(new Set(topics.flatMap((topic) => [...ends.get(topic)!.keys()].map((partition) => `${topic}:${partition}`))));

    const pairs = watched.flatMap((group) => group.topics.map((topic) => ({ ...group, topic })));
    const rows = await Promise.all(
      pairs.map(async (pair) => ({
        pair,
        lags: partitionLags(pair, ends.get(pair.topic)!, await options.bus.committedOffsets(pair.groupId, pair.topic), history, atMs),
      })),
    );
    snapshot = rows.filter((row) => !row.pair.dlq).flatMap((row) => row.lags);
    publishLag(options.metrics, snapshot, published.lag);
    if (options.perPartition === true) publishPartitionLag(options.metrics, snapshot, published.partitionLag);
    publishDlqDepth(
      options.metrics,
      rows.filter((row) => row.pair.dlq).flatMap((row) => row.lags),
      published.dlq,
    );
  };

  const refresh = (): Promise<void> => {
    if (running !== undefined) return running;
    // A failed attempt counts too: a broker that is down is not asked again on every scrape.
    if (lastAttemptMs !== undefined && nowMs() - lastAttemptMs < refreshIntervalMs) return Promise.resolve();
    lastAttemptMs = nowMs();
    running = collect().finally(() => {
      running = undefined;
    });
    return running;
  };

  const unregister = options.metrics.onCollect(() => refresh().catch((error: unknown) => options.onError?.(error)));
  return { refresh, snapshot: () => snapshot, stop: unregister };
}

/**
 * Lag of one group on one topic, per partition of the topic: end offset minus committed offset.
 * A partition the group never committed counts whole (from offset 0: the port does not expose the
 * log start, so after retention deleted records this overstates until the group commits).
 */
export function partitionLags(
  pair: { groupId: string; topic: string },
  endOffsets: ReadonlyMap<number, bigint>,
  committedOffsets: ReadonlyMap<number, bigint>,
  history?: EndOffsetHistory,
  atMs?: number,
): PartitionLag[] {
  return [...endOffsets].map(([partition, endOffset]) => {
    const committedOffset = committedOffsets.get(partition);
    const position = committedOffset ?? 0n;
    const lagMessages = endOffset > position ? endOffset - position : 0n;
    let lagSeconds = 0;
    if (lagMessages > 0n && history !== undefined && atMs !== undefined) {
      const appended = history.appendedAt(`${pair.topic}:${partition}`, position);
      if (appended !== undefined) lagSeconds = Math.max(0, (atMs - appended.atMs) / 1000);
    }
    return { groupId: pair.groupId, topic: pair.topic, partition, endOffset, committedOffset, lagMessages, lagSeconds };
  });
}

type LagGauges = LagCollectorOptions['metrics'];

/**
 * Sets the per group and topic series (sum and max of the partitions' lag in messages, max of
 * their lag in seconds) and removes those it set before that no longer exist.
 */
function publishLag(metrics: LagGauges, lags: readonly PartitionLag[], published: Set<string>): void {
  const byPair = new Map<string, { group: string; topic: string; sum: bigint; max: bigint; seconds: number }>();
  for (const lag of lags) {
    const key = JSON.stringify({ group: lag.groupId, topic: lag.topic });
    const pair = byPair.get(key) ?? { group: lag.groupId, topic: lag.topic, sum: 0n, max: 0n, seconds: 0 };
    pair.sum += lag.lagMessages;
    if (lag.lagMessages > pair.max) pair.max = lag.lagMessages;
    pair.seconds = Math.max(pair.seconds, lag.lagSeconds);
    byPair.set(key, pair);
  }
  for (const { group, topic, sum, max, seconds } of byPair.values()) {
    metrics.consumerLagMessages.set({ group, topic }, Number(sum));
    metrics.maxConsumerLagMessages.set({ group, topic }, Number(max));
    metrics.consumerLagSeconds.set({ group, topic }, seconds);
  }
  for (const key of published) {
    if (byPair.has(key)) continue;
    const labels = JSON.parse(key) as { group: string; topic: string };
    metrics.consumerLagMessages.remove(labels);
    metrics.maxConsumerLagMessages.remove(labels);
    metrics.consumerLagSeconds.remove(labels);
  }
  replace(published, new Set(byPair.keys()));
}

/** Sets the per-partition series and removes those it set before that no longer exist. */
function publishPartitionLag(metrics: LagGauges, lags: readonly PartitionLag[], published: Set<string>): void {
  const current = new Set<string>();
  for (const lag of lags) {
    const labels = { group: lag.groupId, topic: lag.topic, partition: String(lag.partition) };
    metrics.partitionLagMessages.set(labels, Number(lag.lagMessages));
    metrics.partitionLagSeconds.set(labels, lag.lagSeconds);
    current.add(JSON.stringify(labels));
  }
  for (const key of published) {
    if (current.has(key)) continue;
    const labels = JSON.parse(key) as { group: string; topic: string; partition: string };
    metrics.partitionLagMessages.remove(labels);
    metrics.partitionLagSeconds.remove(labels);
  }
  replace(published, current);
}

function publishDlqDepth(metrics: LagGauges, lags: readonly PartitionLag[], published: Set<string>): void {
  const depthByTopic = new Map<string, bigint>();
  for (const lag of lags) depthByTopic.set(lag.topic, (depthByTopic.get(lag.topic) ?? 0n) + lag.lagMessages);
  for (const [topic, depth] of depthByTopic) metrics.dlqDepth.set({ topic }, Number(depth));
  for (const topic of published) if (!depthByTopic.has(topic)) metrics.dlqDepth.remove({ topic });
  replace(published, new Set(depthByTopic.keys()));
}

function replace<T>(target: Set<T>, source: ReadonlySet<T>): void {
  target.clear();
  for (const item of source) target.add(item);
}
