/**
 * A rough throughput measurement of the Kafka engine (not a test): publishes N small messages in
 * batches, then consumes them all with one subscription. Results go to docs/kafka-engine.md.
 *
 *   node bench/kafka-engine-throughput.ts --brokers 127.0.0.1:19092 \
 *     [--messages 100000] [--batch 500] [--concurrency 1] [--partitions 6] [--bytes 100] [--members 1]
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { KafkaEventBus } from '../src/backbone/messaging-kafka/kafka-event-bus.ts';
import { KafkaTopicAdmin } from '../src/backbone/messaging-kafka/kafka-topic-admin.ts';

const { values: args } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:19092' },
    messages: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '1' },
    partitions: { type: 'string', default: '6' },
    bytes: { type: 'string', default: '100' },
    members: { type: 'string', default: '1' },
    compression: { type: 'string', default: 'none' },
  },
});
const total = Number(args.messages);
const batchSize = Number(args.batch);
const concurrency = Number(args.concurrency);
const options = { bootstrapBrokers: args.brokers.split(','), compression: args.compression as 'none' };

const admin = new KafkaTopicAdmin(options);
const topic = `bench.throughput-${randomUUID().slice(0, 8)}.v1`;
await admin.createTopics([
  {
    name: topic,
    partitions: Number(args.partitions),
    replicationFactor: 1,
    minInsyncReplicas: 1,
    retentionMs: 3_600_000,
    cleanupPolicy: 'delete',
    compression: 'producer',
  },
]);
const bus = new KafkaEventBus(options);
const payload = Buffer.alloc(Number(args.bytes), 'x');
try {
  // Publish: `concurrency` callers, each publishing batches of `batchSize` one after the other.
  let next = 0;
  const publishStart = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const from = next;
        next += batchSize;
        const count = Math.min(batchSize, total - from);
        await bus.publish(
          Array.from({ length: count }, (_, i) => ({
            topic,
            key: Buffer.from(`account-${(from + i) % 1000}`),
            value: payload,
            headers: { 'event-type': Buffer.from('bench.v1') },
          })),
        );
      }
    }),
  );
  const publishMs = performance.now() - publishStart;

  // Consume: from the start of the topic, until every record was handled (and its batch committed).
  const members = Number(args.members);
  const buses = [bus, ...Array.from({ length: members - 1 }, () => new KafkaEventBus(options))];
  let received = 0;
  const all = Promise.withResolvers<void>();
  const consumeStart = performance.now();
  const groupId = `bench-${randomUUID().slice(0, 8)}`;
  const subscriptions = await Promise.all(
    buses.map((b) =>
      b.subscribe({
        groupId,
        topics: [topic],
        maxBatchRecords: 500,
        handleBatch: async (batch) => {
          received += batch.records.length;
          if (received >= total) all.resolve();
        },
      }),
    ),
  );
  await all.promise;
  const consumeMs = performance.now() - consumeStart;
  await Promise.all(subscriptions.map((s) => s.close()));
  await Promise.all(buses.slice(1).map((b) => b.close()));

  const rate = (ms: number) => Math.round((total / ms) * 1000).toLocaleString('en');
  console.log(
    JSON.stringify({ messages: total, bytes: payload.length, batch: batchSize, concurrency, partitions: Number(args.partitions), members }),
  );
  console.log(`publish: ${(publishMs / 1000).toFixed(2)} s, ${rate(publishMs)} msg/s`);
  console.log(`consume: ${(consumeMs / 1000).toFixed(2)} s, ${rate(consumeMs)} msg/s (subscribe to last record handled)`);
} finally {
  await bus.close();
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.close();
}
