import { describe, expect, it } from 'vitest';
import { defineTopic } from './define-topic.ts';
import type { TopicDescription } from './topic-admin.ts';
import { planTopics } from './topic-plan.ts';

const submitted = defineTopic({ name: 'payments.submitted.v1', partitions: 12 });

function described(overrides: Partial<TopicDescription> & { configs?: Record<string, string> } = {}): Map<string, TopicDescription> {
  return new Map([
    [
      submitted.name,
      {
        name: submitted.name,
        partitions: 12,
        replicationFactor: 3,
        ...overrides,
        configs: {
          'retention.ms': '604800000',
          'cleanup.policy': 'delete',
          'compression.type': 'producer',
          'min.insync.replicas': '2',
          ...overrides.configs,
        },
      },
    ],
  ]);
}

describe('planTopics', () => {
  it('creates a missing topic', () => {
    expect(planTopics([submitted], new Map())).toEqual({ actions: [{ kind: 'create', spec: submitted }], warnings: [] });
  });

  it('plans nothing for a topic that matches', () => {
    expect(planTopics([submitted], described())).toEqual({ actions: [], warnings: [] });
  });

  it('ignores topics that exist but are not declared', () => {
    const existing = described();
    existing.set('legacy.topic.v1', { name: 'legacy.topic.v1', partitions: 1, replicationFactor: 1, configs: {} });
    expect(planTopics([submitted], existing).actions).toEqual([]);
  });

  it('adds partitions and warns that keys move', () => {
    const plan = planTopics([submitted], described({ partitions: 6 }));
    expect(plan.actions).toEqual([{ kind: 'addPartitions', topic: submitted.name, partitionsFrom: 6, partitionsTo: 12 }]);
    expect(plan.warnings).toEqual([{ topic: submitted.name, message: expect.stringMatching(/keys move to other partitions/) }]);
  });

  it('never shrinks: more partitions than declared is a warning, not an action', () => {
    const plan = planTopics([submitted], described({ partitions: 24 }));
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual([{ topic: submitted.name, message: expect.stringMatching(/declares 12 partitions but has 24/) }]);
  });

  it('reports a different replication factor without changing it', () => {
    const plan = planTopics([submitted], described({ replicationFactor: 1, configs: { 'min.insync.replicas': '1' } }));
    expect(plan.actions).toEqual([]);
    expect(plan.warnings.map((warning) => warning.message)).toEqual([
      expect.stringMatching(/declares replication factor 3 but has 1/),
      expect.stringMatching(/min.insync.replicas 2 left at 1: the topic has only 1 replica/),
    ]);
  });

  it('alters only the configs that differ, with Kafka key names', () => {
    const plan = planTopics([submitted], described({ configs: { 'retention.ms': '86400000', 'compression.type': 'lz4' } }));
    expect(plan.actions).toEqual([
      {
        kind: 'alterConfigs',
        topic: submitted.name,
        changes: [
          { key: 'retention.ms', from: '86400000', to: '604800000' },
          { key: 'compression.type', from: 'lz4', to: 'producer' },
        ],
      },
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('sets a config the engine reports no topic-level value for', () => {
    const existing = described();
    delete existing.get(submitted.name)!.configs['retention.ms'];
    expect(planTopics([submitted], existing).actions).toEqual([
      { kind: 'alterConfigs', topic: submitted.name, changes: [{ key: 'retention.ms', from: undefined, to: '604800000' }] },
    ]);
  });

  it('treats differently spelt equal values as equal', () => {
    const compacted = defineTopic({ name: 'accounts.state.v1', cleanupPolicy: 'compact,delete' });
    const existing = new Map([
      [
        compacted.name,
        {
          name: compacted.name,
          partitions: 12,
          replicationFactor: 3,
          configs: {
            'retention.ms': ' 604800000',
            'cleanup.policy': '[delete, compact]',
            'compression.type': 'PRODUCER',
            'min.insync.replicas': '2',
          },
        },
      ],
    ]);
    expect(planTopics([compacted], existing).actions).toEqual([]);
  });

  it('makes a shorter retention but warns that records will go', () => {
    const plan = planTopics([submitted], described({ configs: { 'retention.ms': '-1' } }));
    expect(plan.actions).toHaveLength(1);
    expect(plan.warnings).toEqual([
      { topic: submitted.name, message: expect.stringMatching(/retention.ms shortens from -1 to 604800000/) },
    ]);
  });

  it('warns when the cleanup policy changes', () => {
    const plan = planTopics([submitted], described({ configs: { 'cleanup.policy': 'compact' } }));
    expect(plan.warnings).toEqual([
      { topic: submitted.name, message: expect.stringMatching(/cleanup.policy changes from compact to delete/) },
    ]);
  });

  it('refuses a name declared twice and an invalid spec', () => {
    expect(() => planTopics([submitted, submitted], new Map())).toThrow(/declared more than once/);
    expect(() => planTopics([{ ...submitted, partitions: 0 }], new Map())).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});
