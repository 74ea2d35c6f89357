// The wiring: the only file that knows which engine runs. Everything else gets the same ports
// (Database, EventBus, Outbox, TopicAdmin) and behaves the same on both.
import type { Logger } from 'pino';
import type { Database } from '../../src/backbone/storage/index.ts';
import { migrate } from '../../src/backbone/storage/index.ts';
import { PgliteDatabase } from '../../src/backbone/storage-pglite/index.ts';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/index.ts';
import { namespacedBus, namespacedTopicAdmin, type EventBus } from '../../src/backbone/messaging/index.ts';
import { LogOutbox, PostgresLogBus, PostgresLogTopicAdmin } from '../../src/backbone/messaging-postgres/index.ts';
import { KafkaEventBus, KafkaTopicAdmin } from '../../src/backbone/messaging-kafka/index.ts';
import { OutboxRelay, TableOutbox, outboxMigrations, type Outbox } from '../../src/backbone/outbox/index.ts';
import { consumerMigrations, type ConsumerRunnerDeps } from '../../src/backbone/consumer/index.ts';
import { deadLetterMigrations } from '../../src/backbone/dead-letter/index.ts';
import { JsonCodec, type EventCodec } from '../../src/backbone/codec/index.ts';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/index.ts';
import { capReplication, ensureTopics, type TopicAdmin, type TopicSpec } from '../../src/backbone/topics/index.ts';

export type EngineConfig =
  /** PGlite (PostgreSQL in WebAssembly) in this process, the event log in its tables. In memory without `dataDir`. */
  | { engine: 'embedded'; dataDir?: string }
  /** Apache Kafka for the log, a PostgreSQL server for the service's tables and the outbox. */
  | { engine: 'kafka'; brokers: string[]; databaseUrl: string; namespace?: string };

export interface ExampleBackbone {
  db: Database;
  bus: EventBus;
  /** Payload ↔ bytes, for producers. */
  codec: EventCodec;
  /** What a `ConsumerRunner` needs. */
  consumerDeps: ConsumerRunnerDeps;
  /** Creates the topics that do not exist yet (and checks those that do). */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Resolves once every event emitted so far is on the bus (on Kafka: the outbox relay caught up). */
  emittedEventsPublished(): Promise<void>;
  close(): Promise<void>;
}

export async function openBackbone(config: EngineConfig, logger: Logger): Promise<ExampleBackbone> {
  const codec = new JsonCodec(); // readable payloads; production topics use Avro (src/backbone/schema)
  let db: Database;
  let bus: EventBus;
  let outbox: Outbox;
  let topicAdmin: TopicAdmin;
  let relay: OutboxRelay | undefined;
  let maxReplicationFactor = 1;
  if (config.engine === 'embedded') {
    db = await PgliteDatabase.open(config.dataDir ? { dataDir: config.dataDir } : {});
    const logBus = await PostgresLogBus.open({ db });
    bus = logBus;
    topicAdmin = new PostgresLogTopicAdmin(db, (topic) => logBus.invalidateTopic(topic));
    // The log is in the same database: appending inside the consumer's transaction IS publishing.
    outbox = new LogOutbox(logBus);
  } else {
    db = new PostgresDatabase({ connectionString: config.databaseUrl, poolSize: 4 });
    await migrate(db, 'outbox', outboxMigrations);
    bus = new KafkaEventBus({ bootstrapBrokers: config.brokers, clientId: 'order-totals-example' });
    topicAdmin = new KafkaTopicAdmin({ bootstrapBrokers: config.brokers });
    // Several deployments (or test runs) on one cluster: prefix every topic and consumer group.
    if (config.namespace) {
      bus = namespacedBus(bus, config.namespace);
      topicAdmin = namespacedTopicAdmin(topicAdmin, config.namespace);
    }
    // Emitted events go to the `outbox` table in the consumer's transaction; the relay publishes
    // them to Kafka after the commit (a crash in between re-sends, and consumers drop the copy).
    outbox = new TableOutbox();
    relay = new OutboxRelay({ db, bus, onError: (error) => logger.error({ err: error }, 'outbox relay could not publish; retrying') });
    relay.start();
    maxReplicationFactor = config.brokers.length;
  }
  // The backbone's own tables: consumer positions and processed event ids, dead letters.
  await migrate(db, 'consumer', consumerMigrations);
  await migrate(db, 'dead-letter', deadLetterMigrations);
  return {
    db,
    bus,
    codec,
    consumerDeps: { db, bus, outbox, codec, clock: systemClock, ids: uuidV7Ids, logger },
    async ensureTopics(specs) {
      await ensureTopics(topicAdmin, capReplication(specs, maxReplicationFactor));
    },
    async emittedEventsPublished() {
      if (relay) await pollUntil(async () => (await relay.backlog()).rows === 0n, 'the outbox relay to publish');
    },
    async close() {
      await relay?.stop();
      await topicAdmin.close?.();
      await bus.close();
      await db.close();
    },
  };
}

/** Polls `done` every 100 ms; gives up after `timeoutMs` naming what it waited for. */
export async function pollUntil(done: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
