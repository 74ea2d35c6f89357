/**
 * Test support for the Kafka engine's integration tests: brokers from the environment, fast group
 * timings, unique topics that are deleted afterwards, and a producer that holds its records in an
 * open transaction (the Kafka form of the contract's "slow producer").
 */
import { randomUUID } from 'node:crypto';
import { kafkaBrokers, uniqueName } from '../../../test/support/engines.ts';
import { Producer, ProduceAcks } from '@platformatic/kafka';
import type { EventBus, OutgoingMessage } from '../messaging/event-bus.ts';
import { partitionForKey } from '../messaging/partitioner.ts';
import type { TopicSpec } from '../topics/topic-admin.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import { KafkaTopicAdmin } from './kafka-topic-admin.ts';
import type { KafkaEventBusOptions } from './options.ts';

/** The brokers the global setup found or started (test/support/global-setup.ts). */
export function testBrokers(): string[] {
  return kafkaBrokers();
}

/**
 * Group timings for tests: a dead member is noticed in 2 s (the test broker allows sessions that
 * short) and rebalances happen within a heartbeat (200 ms); short fetch waits keep closes quick.
 */
export function testBusOptions(overrides: Partial<KafkaEventBusOptions> = {}): KafkaEventBusOptions {
  return {
    bootstrapBrokers: testBrokers(),
    clientId: 'paystream-test',
    sessionTimeoutMs: 2_000,
    rebalanceTimeoutMs: 10_000,
    heartbeatIntervalMs: 200,
    fetchMaxWaitMs: 100,
    retryDelayMs: 100,
    ...overrides,
  };
}

/** Creates topics with unique names and deletes exactly those when the suite is done. */
export class TestTopics {
  readonly admin: KafkaTopicAdmin;
  readonly #created: string[] = [];

  constructor(options: KafkaEventBusOptions = testBusOptions()) {
    this.admin = new KafkaTopicAdmin(options);
  }

  static uniqueName(prefix = 'test.kafka-engine'): string {
    return uniqueName(prefix);
  }

  async create(partitions: number, spec: Partial<TopicSpec> = {}): Promise<string> {
    const name = spec.name ?? TestTopics.uniqueName();
    await this.admin.createTopics([
      {
        name,
        partitions,
        replicationFactor: 1,
        minInsyncReplicas: 1,
        retentionMs: -1,
        cleanupPolicy: 'delete',
        compression: 'producer',
        ...spec,
      },
    ]);
    this.#created.push(name);
    return name;
  }

  async close(): Promise<void> {
    await this.admin.deleteTopics(this.#created).catch(() => {});
    await this.admin.close();
  }
}

/**
 * Publishes `messages` in a Kafka transaction held open for `holdMs` before it commits: until then
 * a read-committed consumer stops at the transaction's first offset, and it must not skip these
 * records once they commit, although records of other producers after them became visible first.
 */
export async function publishInSlowTransaction(bus: EventBus, messages: readonly OutgoingMessage[], holdMs: number): Promise<void> {
  if (!(bus instanceof KafkaEventBus)) throw new Error('publishInSlowTransaction needs a KafkaEventBus');
  const producer = new Producer({
    clientId: 'paystream-test-transactional',
    bootstrapBrokers: [...bus.options.bootstrapBrokers],
    ...(bus.options.tls && { tls: bus.options.tls }),
    ...(bus.options.sasl && { sasl: bus.options.sasl }),
    idempotent: true,
    acks: ProduceAcks.ALL,
    transactionalId: `paystream-test-${randomUUID()}`,
  });
  try {
    const transaction = await producer.beginTransaction();
    const withPartitions = await Promise.all(
      messages.map(async (m) => ({
        topic: m.topic,
        key: m.key,
        value: m.value as Buffer,
        partition: partitionForKey(m.key, await partitionCountOf(bus, m.topic)),
      })),
    );
    await transaction.send({ messages: withPartitions });
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    await transaction.commit();
  } finally {
    await producer.close();
  }
}

async function partitionCountOf(bus: KafkaEventBus, topic: string): Promise<number> {
  // partitionFor of a key with a known placement would do, but the count is what we want.
  return (await bus.endOffsets(topic)).size;
}

/** Resolves when `condition` holds, polling; rejects after `timeoutMs`. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
