import { describe, expect, it } from 'vitest';
import { defineTopic } from './define-topic.ts';
import { formatPlan } from './format-plan.ts';

describe('formatPlan', () => {
  it('prints one line per change, warnings, and a summary', () => {
    const spec = defineTopic({ name: 'payments.submitted.v1', partitions: 6 });
    const text = formatPlan({
      actions: [
        { kind: 'create', spec },
        { kind: 'addPartitions', topic: 'payments.refunded.v1', partitionsFrom: 6, partitionsTo: 12 },
        {
          kind: 'alterConfigs',
          topic: 'payments.settled.v1',
          changes: [
            { key: 'retention.ms', from: '604800000', to: '2592000000' },
            { key: 'compression.type', from: undefined, to: 'zstd' },
          ],
        },
      ],
      warnings: [{ topic: 'payments.settled.v1', message: 'declares replication factor 3 but has 1' }],
    });
    expect(text).toBe(
      [
        '+ create payments.submitted.v1: 6 partitions, replication factor 3, retention.ms=604800000 (7d), cleanup.policy=delete, compression.type=producer, min.insync.replicas=2',
        '~ add partitions payments.refunded.v1: 6 → 12',
        '~ alter configs payments.settled.v1: retention.ms 604800000 (7d) → 2592000000 (30d), compression.type (broker default) → zstd',
        '! payments.settled.v1: declares replication factor 3 but has 1',
        'Plan: 1 to create, 1 to add partitions, 1 to alter configs; 1 warning.',
        '',
      ].join('\n'),
    );
  });

  it('says so when nothing changes', () => {
    expect(formatPlan({ actions: [], warnings: [] })).toBe('No changes: topics match their declarations.\n');
  });
});
