/**
 * Proves the fault-injection cluster works as fault tests assume: with one of three nodes killed
 * (kill -9, the partition leader), acks=all writes go on, and the node rejoins and catches up.
 */
import { Admin, Consumer, Producer, ProduceAcks, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithKafka, uniqueName } from './engines.ts';
import { KafkaCluster } from './kafka-cluster.ts';

describeWithKafka('the three-node fault-injection cluster', () => {
  let cluster: KafkaCluster | undefined;

  beforeAll(async () => {
    cluster = await KafkaCluster.start();
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('keeps accepting acks=all writes while the leader is killed, and the node rejoins', { timeout: 180_000 }, async () => {
    const brokers = cluster!.brokers;
    const topic = uniqueName('test.cluster.v1');
    const admin = new Admin({ clientId: 'cluster-spec', bootstrapBrokers: brokers });
    const producer = new Producer({
      clientId: 'cluster-spec-producer',
      bootstrapBrokers: brokers,
      serializers: stringSerializers,
      idempotent: true,
      acks: ProduceAcks.ALL,
    });
    try {
      // The broker defaults make this replication factor 3 and min.insync.replicas 2.
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1 });
      await producer.send({ messages: [{ topic, key: 'k', value: 'before' }] });
      const leader = (await partition0(admin, topic)).leader;

      process.kill(await cluster!.pid(leader), 'SIGKILL');
      for (let i = 0; i < 5; i++) await producer.send({ messages: [{ topic, key: 'k', value: `during-${i}` }] });
      const duringOutage = await partition0(admin, topic);
      expect(duringOutage.leader).not.toBe(leader);

      await cluster!.restartNode(leader);
      await eventually(async () => expect((await partition0(admin, topic)).isr).toHaveLength(3));
    } finally {
      await producer.close();
      await admin.close();
    }

    const consumer = new Consumer({
      clientId: 'cluster-spec-consumer',
      groupId: uniqueName('cluster-spec'),
      bootstrapBrokers: brokers,
      deserializers: stringDeserializers,
    });
    try {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
      const values: string[] = [];
      for await (const message of stream) {
        values.push(message.value);
        if (values.length === 6) break;
      }
      expect(values).toEqual(['before', 'during-0', 'during-1', 'during-2', 'during-3', 'during-4']);
    } finally {
      await consumer.close(true);
    }
  });
});

async function partition0(admin: Admin, topic: string) {
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  const partition = metadata.topics.get(topic)?.partitions[0];
  if (!partition) throw new Error(`no metadata for ${topic}`);
  return partition;
}

async function eventually(check: () => Promise<void>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}
