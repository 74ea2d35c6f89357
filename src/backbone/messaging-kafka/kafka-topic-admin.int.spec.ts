import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithKafka } from '../../../test/support/engines.ts';
import type { TopicSpec } from '../topics/topic-admin.ts';
import { KafkaTopicAdmin } from './kafka-topic-admin.ts';
import { TestTopics, testBusOptions } from './testing.ts';

describeWithKafka('KafkaTopicAdmin', () => {
  let admin: KafkaTopicAdmin;
  const created: string[] = [];

  beforeAll(() => {
    admin = new KafkaTopicAdmin(testBusOptions());
  });

  afterAll(async () => {
    await admin.deleteTopics(created).catch(() => {});
    await admin.close();
  });

  function spec(overrides: Partial<TopicSpec> = {}): TopicSpec {
    const name = TestTopics.uniqueName('test.topic-admin');
    created.push(name);
    return {
      name,
      partitions: 3,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      retentionMs: 604_800_000,
      cleanupPolicy: 'delete',
      compression: 'zstd',
      ...overrides,
    };
  }

  it('creates topics with their declared configs and describes them', async () => {
    const orders = spec();
    const ledger = spec({ partitions: 2, cleanupPolicy: 'compact', compression: 'lz4', retentionMs: -1 });
    await admin.createTopics([orders, ledger]);
    const described = await admin.describeTopics([orders.name, ledger.name, 'never.created.v1']);
    expect([...described.keys()].sort()).toEqual([orders.name, ledger.name].sort());
    expect(described.get(orders.name)).toMatchObject({ name: orders.name, partitions: 3, replicationFactor: 1 });
    expect(described.get(orders.name)!.configs).toMatchObject({
      'retention.ms': '604800000',
      'cleanup.policy': 'delete',
      'compression.type': 'zstd',
      'min.insync.replicas': '1',
    });
    expect(described.get(ledger.name)).toMatchObject({ partitions: 2 });
    expect(described.get(ledger.name)!.configs).toMatchObject({
      'retention.ms': '-1',
      'cleanup.policy': 'compact',
      'compression.type': 'lz4',
    });
  });

  it('refuses to create a topic that exists', async () => {
    const topic = spec();
    await admin.createTopics([topic]);
    await expect(admin.createTopics([topic])).rejects.toThrow(/TOPIC_ALREADY_EXISTS|already exists/i);
  });

  it('alters some configs and leaves the others, idempotently', async () => {
    const topic = spec();
    await admin.createTopics([topic]);
    await admin.alterTopicConfigs(topic.name, { 'retention.ms': '3600000' });
    await admin.alterTopicConfigs(topic.name, { 'retention.ms': '3600000' });
    const { configs } = (await admin.describeTopics([topic.name])).get(topic.name)!;
    expect(configs['retention.ms']).toBe('3600000');
    expect(configs['compression.type']).toBe('zstd');
    expect(configs['cleanup.policy']).toBe('delete');
  });

  it('adds partitions, and asking again (or for fewer) changes nothing', async () => {
    const topic = spec({ partitions: 2 });
    await admin.createTopics([topic]);
    await admin.addPartitions(topic.name, 5);
    await admin.addPartitions(topic.name, 5);
    await admin.addPartitions(topic.name, 3);
    expect((await admin.describeTopics([topic.name])).get(topic.name)!.partitions).toBe(5);
  });

  it('describes nothing for names that do not exist', async () => {
    expect((await admin.describeTopics(['never.created.v1'])).size).toBe(0);
    expect((await admin.describeTopics([])).size).toBe(0);
  });
});
