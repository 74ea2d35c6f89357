import type { ConnectionOptions } from '@platformatic/kafka';
import { BackboneError, ErrorCodes } from '../errors.ts';

/**
 * How to reach the Kafka cluster and how the event bus behaves on it. Only `bootstrapBrokers` is
 * required; every default lives in `kafkaDefaults` below, in one place.
 */
export interface KafkaEventBusOptions {
  /** `host:port` of one or more brokers; the client discovers the rest of the cluster from them. */
  bootstrapBrokers: readonly string[];
  /** Shown in broker logs and quotas. */
  clientId?: string;
  connectTimeoutMs?: number;
  /** How long a request may wait for its answer (a produce with acks=all waits for the replicas). */
  requestTimeoutMs?: number;
  /** Attempts per operation after the first, with `retryDelayMs` between them. */
  retries?: number;
  retryDelayMs?: number;
  /**
   * How long a topic's partition count is trusted before it is read again. A partition added to a
   * topic moves keys; the Java producer notices after `metadata.max.age.ms` (5 minutes), we
   * after this long (or at once after a failed publish).
   */
  partitionCountMaxAgeMs?: number;
  /** A member that sends no heartbeat for this long is removed from its group. */
  sessionTimeoutMs?: number;
  /**
   * How long the group waits for members to rejoin during a rebalance. A member finishes its
   * in-flight batches before it rejoins, so a handler slower than this gets the member removed.
   */
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits on the broker for new records (the latency of an idle partition's next batch). */
  fetchMaxWaitMs?: number;
  fetchMaxBytes?: number;
  fetchMaxBytesPerPartition?: number;
  /** A subscription whose fetches keep failing for this long stops with `BROKER_UNAVAILABLE`. */
  brokerUnavailableTimeoutMs?: number;
  /** Compression of published batches. */
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** TLS and SASL settings, passed to the client's connections unchanged. */
  tls?: ConnectionOptions['tls'];
  sasl?: ConnectionOptions['sasl'];
}

export type ResolvedKafkaOptions = Required<Omit<KafkaEventBusOptions, 'tls' | 'sasl'>> & Pick<KafkaEventBusOptions, 'tls' | 'sasl'>;

export const kafkaDefaults = {
  clientId: 'paystream',
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  retries: 3,
  retryDelayMs: 250,
  partitionCountMaxAgeMs: 60_000,
  sessionTimeoutMs: 30_000,
  rebalanceTimeoutMs: 60_000,
  heartbeatIntervalMs: 1_000,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 50 * 1024 * 1024,
  fetchMaxBytesPerPartition: 1024 * 1024,
  brokerUnavailableTimeoutMs: 60_000,
  compression: 'none',
} as const satisfies Omit<ResolvedKafkaOptions, 'bootstrapBrokers' | 'tls' | 'sasl'>;

const positiveIntegers = [
  'connectTimeoutMs',
  'requestTimeoutMs',
  'retryDelayMs',
  'partitionCountMaxAgeMs',
  'sessionTimeoutMs',
  'rebalanceTimeoutMs',
  'heartbeatIntervalMs',
  'fetchMaxWaitMs',
  'fetchMaxBytes',
  'fetchMaxBytesPerPartition',
  'brokerUnavailableTimeoutMs',
] as const;

/** Applies the defaults and rejects what cannot work, at construction rather than at first use. */
export function resolveKafkaOptions(options: KafkaEventBusOptions): ResolvedKafkaOptions {
  const resolved: ResolvedKafkaOptions = {
    ...kafkaDefaults,
    ...withoutUndefined(options),
    bootstrapBrokers: [...(options.bootstrapBrokers ?? [])],
  };
  const problems: string[] = [];
  if (resolved.bootstrapBrokers.length === 0) problems.push('bootstrapBrokers must list at least one broker');
  for (const broker of resolved.bootstrapBrokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) problems.push(`bootstrapBrokers entry "${broker}" is not host:port`);
  }
  if (typeof resolved.clientId !== 'string' || resolved.clientId.trim() === '') problems.push('clientId must be a non-empty string');
  for (const name of positiveIntegers) {
    const value = resolved[name];
    if (!Number.isInteger(value) || value <= 0) problems.push(`${name} must be a positive integer, got ${String(value)}`);
  }
  if (!Number.isInteger(resolved.retries) || resolved.retries < 0)
    problems.push(`retries must be a non-negative integer, got ${String(resolved.retries)}`);
  if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(resolved.compression))
    problems.push(`compression "${resolved.compression}" is not supported`);
  // The group protocol's own rules (the broker rejects a join that breaks them).
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) problems.push('heartbeatIntervalMs must be below sessionTimeoutMs');
  if (resolved.rebalanceTimeoutMs < resolved.sessionTimeoutMs) problems.push('rebalanceTimeoutMs must be at least sessionTimeoutMs');
  if (resolved.fetchMaxWaitMs >= resolved.requestTimeoutMs) problems.push('fetchMaxWaitMs must be below requestTimeoutMs');
  if (problems.length > 0) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `invalid Kafka options: ${problems.join('; ')}`);
  return resolved;
}

/** Options every @platformatic/kafka client of the bus shares. */
export function baseClientOptions(options: ResolvedKafkaOptions, role: string) {
  return {
    clientId: `${options.clientId}-${role}`,
    bootstrapBrokers: [...options.bootstrapBrokers],
    connectTimeout: options.connectTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    timeout: options.requestTimeoutMs,
    retries: options.retries,
    retryDelay: options.retryDelayMs,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
