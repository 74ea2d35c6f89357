import { describe, expect, it } from 'vitest';
import { capReplication, defineTopic, topicDefaults, type TopicOptions } from './define-topic.ts';
import { defaultRetryDelaysMs, failureTopicsOf, withFailureTopics } from './failure-topics.ts';

describe('defineTopic', () => {
  it('fills in the defaults', () => {
    expect(defineTopic({ name: 'payments.submitted.v1' })).toEqual({
      name: 'payments.submitted.v1',
      partitions: topicDefaults.partitions,
      replicationFactor: 3,
      minInsyncReplicas: 2,
      retentionMs: 7 * 86_400_000,
      cleanupPolicy: 'delete',
      compression: 'producer',
    });
  });

  it('keeps min.insync.replicas within a small replication factor', () => {
    expect(defineTopic({ name: 'payments.submitted.v1', replicationFactor: 1 }).minInsyncReplicas).toBe(1);
  });

  it('returns a frozen spec', () => {
    expect(Object.isFrozen(defineTopic({ name: 'payments.submitted.v1' }))).toBe(true);
  });

  it.each<[Partial<TopicOptions>, RegExp]>([
    [{ partitions: 0 }, /partitions must be a whole number ≥ 1, got 0/],
    [{ partitions: 2.5 }, /partitions must be a whole number ≥ 1, got 2.5/],
    [{ replicationFactor: 0 }, /replicationFactor must be a whole number ≥ 1/],
    [{ replicationFactor: 2, minInsyncReplicas: 3 }, /minInsyncReplicas \(3\) must not exceed replicationFactor \(2\)/],
    [{ minInsyncReplicas: 0 }, /minInsyncReplicas must be a whole number ≥ 1/],
    [{ retentionMs: 0 }, /retentionMs must be -1 \(keep forever\) or a whole number ≥ 1/],
    [{ cleanupPolicy: 'forever' as never }, /cleanupPolicy must be one of delete \| compact \| compact,delete, got "forever"/],
    [{ compression: 'brotli' as never }, /compression must be one of/],
    [{ name: 'payments_submitted' }, /must look like <domain>.<event>.v<major>/],
    [{ retention: 1 } as never, /unknown option\(s\) retention/],
  ])('rejects %o with a precise INVALID_OPTIONS', (options, message) => {
    const attempt = () => defineTopic({ name: 'payments.submitted.v1', ...options });
    expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(attempt).toThrow(message);
  });

  it('accepts retention -1 (keep forever) and a compacted policy', () => {
    const spec = defineTopic({ name: 'accounts.state.v1', retentionMs: -1, cleanupPolicy: 'compact' });
    expect(spec).toMatchObject({ retentionMs: -1, cleanupPolicy: 'compact' });
  });
});

describe('failure topics', () => {
  const source = defineTopic({ name: 'payments.submitted.v1', partitions: 24, cleanupPolicy: 'compact', compression: 'zstd' });

  it('derives one retry tier per default delay and a dead-letter topic, keeping partitions and replication', () => {
    const derived = failureTopicsOf(source);
    expect(defaultRetryDelaysMs).toEqual([1_000, 5_000, 30_000]);
    expect(derived.map((spec) => spec.name)).toEqual([
      'payments.submitted.v1.retry.1s',
      'payments.submitted.v1.retry.5s',
      'payments.submitted.v1.retry.30s',
      'payments.submitted.v1.dlq',
    ]);
    for (const spec of derived) {
      expect(spec).toMatchObject({
        partitions: 24,
        replicationFactor: 3,
        minInsyncReplicas: 2,
        compression: 'zstd',
        cleanupPolicy: 'delete',
      });
    }
    expect(derived.at(-1)?.retentionMs).toBe(30 * 86_400_000);
    expect(derived[0]?.retentionMs).toBe(7 * 86_400_000);
  });

  it('follows a custom policy and ignores repeated delays', () => {
    const derived = withFailureTopics(source, { retryDelaysMs: [2_000, 2_000, 120_000], deadLetterRetentionMs: -1 });
    expect(derived.map((spec) => spec.name)).toEqual([
      'payments.submitted.v1',
      'payments.submitted.v1.retry.2s',
      'payments.submitted.v1.retry.2m',
      'payments.submitted.v1.dlq',
    ]);
    expect(derived.at(-1)?.retentionMs).toBe(-1);
  });

  it('derives only the dead-letter topic for blocking retries', () => {
    expect(failureTopicsOf(source, { retryDelaysMs: [] }).map((spec) => spec.name)).toEqual(['payments.submitted.v1.dlq']);
  });

  it('refuses a retry retention that a delay would outlast', () => {
    expect(() => failureTopicsOf(source, { retryDelaysMs: [60_000], retryRetentionMs: 60_000 })).toThrow(/must exceed every retry delay/);
  });
});

describe('capReplication', () => {
  it('caps the replication factor and keeps min.insync.replicas writable', () => {
    const [capped] = capReplication([defineTopic({ name: 'payments.submitted.v1' })], 1);
    expect(capped).toMatchObject({ replicationFactor: 1, minInsyncReplicas: 1 });
  });
});
