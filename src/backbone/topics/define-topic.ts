import { BackboneError, ErrorCodes } from '../errors.ts';
import type { CleanupPolicy, CompressionType, TopicSpec } from './topic-admin.ts';
import { assertTopicName, maxTopicNameLength } from './topic-naming.ts';

/** What a declaration may set; everything but the name has a default in `topicDefaults`. */
export interface TopicOptions {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  /** Default: `min(2, replicationFactor)`, see `defineTopic`. */
  minInsyncReplicas?: number;
  retentionMs?: number;
  cleanupPolicy?: CleanupPolicy;
  compression?: CompressionType;
}

const dayMs = 86_400_000;

/** The one place topic defaults live. */
export const topicDefaults = {
  /**
   * 12 splits evenly between 1, 2, 3, 4, 6 or 12 consumers. Adding partitions later moves keys
   * to other partitions (and so breaks per-key order across the change), so start with headroom.
   */
  partitions: 12,
  /** Three copies survive the loss of one broker with writes still accepted (see below). */
  replicationFactor: 3,
  /** Events are facts other services rebuild from; a week covers a long outage plus a replay. */
  retentionMs: 7 * dayMs,
  cleanupPolicy: 'delete',
  /**
   * `producer` keeps the batches as the producer compressed them; any other value makes the broker
   * decompress and recompress every batch whose codec differs, which costs broker CPU.
   */
  compression: 'producer',
} as const satisfies Omit<Required<TopicOptions>, 'name' | 'minInsyncReplicas'>;

/**
 * A topic as code: applies the defaults and validates at construction, so a bad declaration
 * fails when the module loads, not when the broker refuses it. Throws INVALID_OPTIONS.
 *
 * `minInsyncReplicas` defaults to `min(2, replicationFactor)`: with acks=all an acknowledged
 * write is then on at least two brokers whenever there are two, and with three replicas writes
 * keep going while one broker is down.
 */
export function defineTopic(options: TopicOptions): TopicSpec {
  assertKnownKeys(options);
  assertTopicName(options.name);
  const replicationFactor = options.replicationFactor ?? topicDefaults.replicationFactor;
  const spec: TopicSpec = {
    name: options.name,
    partitions: options.partitions ?? topicDefaults.partitions,
    replicationFactor,
    minInsyncReplicas: options.minInsyncReplicas ?? Math.min(2, replicationFactor),
    retentionMs: options.retentionMs ?? topicDefaults.retentionMs,
    cleanupPolicy: options.cleanupPolicy ?? topicDefaults.cleanupPolicy,
    compression: options.compression ?? topicDefaults.compression,
  };
  assertValidTopicSpec(spec);
  return Object.freeze(spec);
}

/**
 * Checks what any topic spec must satisfy, declared or derived (derived names do not follow
 * `<domain>.<event>.v<major>`, so the name check here is Kafka's, not the convention's).
 */
export function assertValidTopicSpec(spec: TopicSpec): void {
  const fail = (problem: string): never => {
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `topic "${spec.name}": ${problem}`);
  };
  if (spec.name.length === 0 || spec.name.length > maxTopicNameLength)
    fail(`name must be 1 to ${maxTopicNameLength} characters long, is ${spec.name.length}`);
  if (!/^[a-zA-Z0-9._-]+$/.test(spec.name) || spec.name === '.' || spec.name === '..')
    fail('name may only contain letters, digits, ".", "_" and "-"');
  if (!isWholeAtLeast(spec.partitions, 1)) fail(`partitions must be a whole number ≥ 1, got ${spec.partitions}`);
  if (!isWholeAtLeast(spec.replicationFactor, 1)) fail(`replicationFactor must be a whole number ≥ 1, got ${spec.replicationFactor}`);
  if (!isWholeAtLeast(spec.minInsyncReplicas, 1)) fail(`minInsyncReplicas must be a whole number ≥ 1, got ${spec.minInsyncReplicas}`);
  if (spec.minInsyncReplicas > spec.replicationFactor) {
    fail(
      `minInsyncReplicas (${spec.minInsyncReplicas}) must not exceed replicationFactor (${spec.replicationFactor}): no acks=all write could ever succeed`,
    );
  }
  if (spec.retentionMs !== -1 && !isWholeAtLeast(spec.retentionMs, 1))
    fail(`retentionMs must be -1 (keep forever) or a whole number ≥ 1, got ${spec.retentionMs}`);
  if (!cleanupPolicies.includes(spec.cleanupPolicy))
    fail(`cleanupPolicy must be one of ${cleanupPolicies.join(' | ')}, got "${spec.cleanupPolicy}"`);
  if (!compressionTypes.includes(spec.compression))
    fail(`compression must be one of ${compressionTypes.join(' | ')}, got "${spec.compression}"`);
}

/**
 * Caps every spec's replication at what the cluster can hold (a single-broker development Kafka,
 * or the PostgreSQL log, which reports 1 because replication is the database's business there).
 * `minInsyncReplicas` is lowered with it so the topic stays writable.
 */
export function capReplication(specs: readonly TopicSpec[], maxReplicationFactor: number): TopicSpec[] {
  if (!isWholeAtLeast(maxReplicationFactor, 1)) {
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `maxReplicationFactor must be a whole number ≥ 1, got ${maxReplicationFactor}`);
  }
  return specs.map((spec) => {
    const replicationFactor = Math.min(spec.replicationFactor, maxReplicationFactor);
    return Object.freeze({ ...spec, replicationFactor, minInsyncReplicas: Math.min(spec.minInsyncReplicas, replicationFactor) });
  });
}

const cleanupPolicies: readonly CleanupPolicy[] = ['delete', 'compact', 'compact,delete'];
const compressionTypes: readonly CompressionType[] = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'];
const optionKeys: ReadonlySet<string> = new Set<keyof TopicOptions>([
  'name',
  'partitions',
  'replicationFactor',
  'minInsyncReplicas',
  'retentionMs',
  'cleanupPolicy',
  'compression',
]);

/** A misspelt option (`retention` for `retentionMs`) would otherwise fall back to the default silently. */
function assertKnownKeys(options: TopicOptions): void {
  const unknown = Object.keys(options).filter((key) => !optionKeys.has(key));
  if (unknown.length > 0) {
    throw new BackboneError(
      ErrorCodes.INVALID_OPTIONS,
      `topic "${String(options.name)}": unknown option(s) ${unknown.join(', ')}; known: ${[...optionKeys].join(', ')}`,
    );
  }
}

function isWholeAtLeast(value: number, min: number): boolean {
  return Number.isSafeInteger(value) && value >= min;
}
