import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import { migrate } from '../../src/backbone/storage/migrate.ts';
import { KafkaEventBus, KafkaTopicAdmin } from '../../src/backbone/messaging-kafka/index.ts';
import { TableOutbox, OutboxRelay, outboxMigrations } from '../../src/backbone/outbox/index.ts';
import { consumerMigrations } from '../../src/backbone/consumer/migrations.ts';
import { deadLetterMigrations } from '../../src/backbone/dead-letter/migrations.ts';
import { JsonCodec } from '../../src/backbone/codec/json-codec.ts';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import { EventEncoder, type EventCause, type NewEvent } from '../../src/backbone/envelope/event-encoder.ts';
import { capReplication, defineTopic } from '../../src/backbone/topics/define-topic.ts';
import { ensureTopics } from '../../src/backbone/topics/apply-topics.ts';
import { withFailureTopics } from '../../src/backbone/topics/failure-topics.ts';
import { readTopic, type BackboneFixture } from '../../src/backbone/testing/embedded-fixture.ts';
import type { ConsumerRunnerDeps } from '../../src/backbone/consumer/consumer-runner.ts';
import { createTestDatabase, kafkaBrokers } from './engines.ts';

/**
 * The backbone as it runs at scale: a real Kafka broker, a fresh PostgreSQL database, the table
 * outbox and its relay. Same interface as `embeddedFixture`, so one suite runs on both.
 */
export async function kafkaFixture(): Promise<BackboneFixture> {
  const brokers = kafkaBrokers();
  const database = await createTestDatabase('backbone');
  const db = new PostgresDatabase({ connectionString: database.url, poolSize: 8 });
  await migrate(db, 'consumer', consumerMigrations);
  await migrate(db, 'outbox', outboxMigrations);
  await migrate(db, 'dead-letter', deadLetterMigrations);
  const bus = new KafkaEventBus({
    bootstrapBrokers: brokers,
    clientId: 'backbone-fixture',
    sessionTimeoutMs: 6000,
    rebalanceTimeoutMs: 10000,
  });
  const admin = new KafkaTopicAdmin({ bootstrapBrokers: brokers });
  const relay = new OutboxRelay({ db, bus });
  relay.start();
  const codec = new JsonCodec();
  const encoder = new EventEncoder(codec, uuidV7Ids, systemClock);
  const deps: ConsumerRunnerDeps = {
    db,
    bus,
    outbox: new TableOutbox(),
    codec,
    clock: systemClock,
    ids: uuidV7Ids,
    logger: pino({ level: 'silent' }),
  };
  const suffix = randomBytes(4).toString('hex');
  return {
    engine: 'kafka',
    db,
    bus,
    deps,
    admin,
    topicName: (base: string) => `test.${base}-${suffix}.v1`,
    async createTopic(name: string, partitions = 3, delaysMs?: readonly number[]) {
      const specs = withFailureTopics(defineTopic({ name, partitions }), delaysMs ? { retryDelaysMs: delaysMs } : {});
      await ensureTopics(admin, capReplication(specs, 1));
    },
    async publish(events: NewEvent[], cause: EventCause = { correlationId: 'test-correlation' }) {
      const messages = await Promise.all(events.map(async (event) => (await encoder.encode(event, cause)).message));
      await bus.publish(messages);
      return messages;
    },
    records: (topic: string) => readTopic(bus, topic),
    async close() {
      await relay.stop();
      await bus.close();
      await db.close();
      await database.drop();
    },
  };
}
