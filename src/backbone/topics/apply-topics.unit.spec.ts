import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineTopic } from './define-topic.ts';
import { withFailureTopics } from './failure-topics.ts';
import { applyTopicPlan, ensureTopics } from './apply-topics.ts';
import type { TopicSpec } from './topic-admin.ts';
import { FakeTopicAdmin } from '../../../test/support/fake-topic-admin.ts';
import { planTopics } from './topic-plan.ts';

const catalog: TopicSpec[] = [
  ...withFailureTopics(defineTopic({ name: 'payments.submitted.v1' })),
  defineTopic({ name: 'accounts.state.v1', cleanupPolicy: 'compact', retentionMs: -1 }),
];

describe('ensureTopics', () => {
  it('creates everything in one call on an empty engine, then is idempotent', async () => {
    const admin = new FakeTopicAdmin();
    const first = await ensureTopics(admin, catalog);
    expect(first.actions).toHaveLength(catalog.length);
    expect(admin.calls).toEqual([`createTopics ${catalog.map((spec) => spec.name).join(',')}`]);

    const second = await ensureTopics(admin, catalog);
    expect(second).toEqual({ actions: [], warnings: [] });
    expect(admin.calls).toHaveLength(1);
  });

  it('brings a drifted topic back and leaves extra partitions alone', async () => {
    const admin = new FakeTopicAdmin();
    const [submitted, ...rest] = catalog;
    admin.seed({ ...submitted!, partitions: 6, retentionMs: 1_000 });
    admin.seed({ ...rest[0]!, partitions: 48 });
    await ensureTopics(admin, catalog);
    expect(admin.topics.get(submitted!.name)).toMatchObject({ partitions: 12, configs: { 'retention.ms': '604800000' } });
    expect(admin.topics.get(rest[0]!.name)?.partitions).toBe(48);
    expect((await ensureTopics(admin, catalog)).actions).toEqual([]);
  });

  it('survives another process creating the topics first', async () => {
    const admin = new FakeTopicAdmin();
    admin.beforeCreate = (specs) => {
      admin.beforeCreate = () => {};
      admin.seed(specs[0]!);
    };
    const plan = await ensureTopics(admin, catalog);
    expect(plan.actions.every((action) => action.kind === 'create')).toBe(true);
    expect(plan.actions).toHaveLength(catalog.length - 1);
    expect([...admin.topics.keys()].sort()).toEqual(catalog.map((spec) => spec.name).sort());
  });

  it('rethrows a failure that is not a lost race', async () => {
    const admin = new FakeTopicAdmin();
    admin.beforeCreate = () => {
      throw new Error('broker unavailable');
    };
    await expect(ensureTopics(admin, catalog)).rejects.toThrow('broker unavailable');
  });

  it('property: any starting state converges, never loses partitions, and the next plan is empty', async () => {
    const names = ['payments.submitted.v1', 'payments.settled.v1', 'rtgs.settled.v1'];
    const existingTopic = fc.record({
      partitions: fc.integer({ min: 1, max: 40 }),
      replicationFactor: fc.integer({ min: 1, max: 3 }),
      retentionMs: fc.constantFrom(-1, 1_000, 604_800_000),
      cleanupPolicy: fc.constantFrom('delete', 'compact', 'compact,delete'),
    });
    const declaredTopic = fc.record({ partitions: fc.integer({ min: 1, max: 40 }), retentionMs: fc.constantFrom(-1, 86_400_000) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(existingTopic), { minLength: 3, maxLength: 3 }),
        fc.array(declaredTopic, { minLength: 3, maxLength: 3 }),
        async (existing, declared) => {
          const admin = new FakeTopicAdmin();
          existing.forEach((topic, i) => {
            if (topic !== null) admin.seed(defineTopic({ name: names[i]!, ...topic }));
          });
          const before = new Map([...admin.topics].map(([name, topic]) => [name, topic.partitions]));
          const specs = declared.map((topic, i) => defineTopic({ name: names[i]!, ...topic }));

          await ensureTopics(admin, specs);

          for (const spec of specs) {
            const partitions = admin.topics.get(spec.name)!.partitions;
            expect(partitions).toBe(Math.max(spec.partitions, before.get(spec.name) ?? 0));
          }
          expect(planTopics(specs, await admin.describeTopics(names)).actions).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('applyTopicPlan', () => {
  it('applies creates, then partitions, then configs', async () => {
    const admin = new FakeTopicAdmin();
    const [submitted, retry] = catalog;
    admin.seed({ ...submitted!, partitions: 3, compression: 'gzip' });
    const plan = planTopics([submitted!, retry!], await admin.describeTopics([submitted!.name, retry!.name]));
    await applyTopicPlan(admin, plan);
    expect(admin.calls).toEqual([
      `createTopics ${retry!.name}`,
      `addPartitions ${submitted!.name} 12`,
      `alterTopicConfigs ${submitted!.name} {"compression.type":"producer"}`,
    ]);
  });
});
