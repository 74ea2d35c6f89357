import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Database } from '../backbone/storage/database.ts';
import type { EventBus } from '../backbone/messaging/event-bus.ts';
import type { Outbox } from '../backbone/outbox/outbox.ts';
import type { TopicAdmin } from '../backbone/topics/topic-admin.ts';
import type { EventCodec } from '../backbone/codec/event-codec.ts';
import type { ConsumerRunnerDeps } from '../backbone/consumer/consumer-runner.ts';
import { migrate } from '../backbone/storage/migrate.ts';
import { PgliteWorkerDatabase } from '../backbone/storage-pglite/pglite-worker-database.ts';
import { EmbeddedAutovacuum } from '../backbone/storage-pglite/autovacuum.ts';
import { autovacuumProblem, PostgresDatabase, readVacuumSettings } from '../backbone/storage-postgres/index.ts';
import { PostgresLogBus, PostgresLogTopicAdmin, LogOutbox } from '../backbone/messaging-postgres/index.ts';
import { KafkaEventBus, KafkaTopicAdmin, type KafkaEventBusOptions } from '../backbone/messaging-kafka/index.ts';
import { namespacedBus, namespacedTopicAdmin } from '../backbone/messaging/namespaced-bus.ts';
import { TableOutbox, OutboxRelay, outboxMigrations } from '../backbone/outbox/index.ts';
import { consumerMigrations } from '../backbone/consumer/migrations.ts';
import { deadLetterMigrations } from '../backbone/dead-letter/migrations.ts';
import { sagaMigrations } from '../backbone/saga/migrations.ts';
import { streamMigrations } from '../backbone/stream/migrations.ts';
import { DeadLetterReplay } from '../backbone/dead-letter/dead-letter-replay.ts';
import { createBackboneMetrics, createMetricsRegistry, type BackboneMetrics } from '../backbone/observability/metrics.ts';
import { systemClock, uuidV7Ids, type Clock, type IdGenerator } from '../backbone/clock/clock.ts';
import type { PaystreamConfig } from './config.ts';
import type { KafkaSecurityConfig } from './kafka-security.ts';
import { openSchemaRegistry, type RuntimeSchemaRegistry } from './schema-registry.ts';

/**
 * What the platform says once per start on the embedded database (startPlatform logs it; the
 * command line's admin commands, which open the same database for a moment, do not repeat it).
 */
export const embeddedDurabilityWarning =
  'embedded database (PGlite): survives a crash of this process but not a power loss (it never fsyncs); run production on PostgreSQL (DATABASE_URL)';

/** Everything the services stand on, wired for the configured engines. */
export interface Backbone {
  config: PaystreamConfig;
  db: Database;
  bus: EventBus;
  outbox: Outbox;
  topicAdmin: TopicAdmin;
  registry: RuntimeSchemaRegistry;
  codec: EventCodec;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metricsRegistry: Registry;
  metrics: BackboneMetrics;
  deadLetters: DeadLetterReplay;
  /** The outbox relay; absent on the embedded engine, where the log is the outbox. */
  relay: OutboxRelay | undefined;
  /** Vacuum and statistics for PGlite, which has no autovacuum; absent on a PostgreSQL server. */
  autovacuum: EmbeddedAutovacuum | undefined;
  consumerDeps(): ConsumerRunnerDeps;
  close(): Promise<void>;
}

/**
 * The composition root of the backbone: the only place that chooses adapters. PGlite or a
 * PostgreSQL server for the database; the database's own tables or Kafka for the event log; the
 * built-in registry or an external one.
 */
export interface BackboneOptions {
  /** The Avro value schema of every topic this process reads or writes (src/contracts). */
  schemas?: ReadonlyMap<string, string>;
}

export async function openBackbone(config: PaystreamConfig, logger: Logger, options: BackboneOptions = {}): Promise<Backbone> {
  const db = await openDatabase(config);
  const clock = systemClock;
  const ids = uuidV7Ids;
  const metricsRegistry = createMetricsRegistry();
  const metrics = createBackboneMetrics(metricsRegistry);
  try {
    await migrate(db, 'consumer', consumerMigrations);
    await migrate(db, 'dead-letter', deadLetterMigrations);
    // The saga tables exist in every process, so that GET /v1/sagas/{sagaId} answers wherever it runs.
    await migrate(db, 'saga', sagaMigrations);
    // So do the live stream processors' (src/backbone/stream/): their partitions, state and timers.
    await migrate(db, 'stream', streamMigrations);
    let bus: EventBus;
    let outbox: Outbox;
    let topicAdmin: TopicAdmin;
    let relay: OutboxRelay | undefined;
    if (config.eventLog.kind === 'kafka') {
      await migrate(db, 'outbox', outboxMigrations);
      ({ bus, topicAdmin } = await openKafka(config.eventLog.brokers, config.eventLog.security, logger));
      if (config.namespace) {
        bus = namespacedBus(bus, config.namespace);
        topicAdmin = namespacedTopicAdmin(topicAdmin, config.namespace);
      }
      outbox = new TableOutbox();
      relay = new OutboxRelay({
        db,
        bus,
        clock,
        onError: (error) => logger.error({ err: error }, 'outbox relay could not publish; retrying'),
        onPublished: (messages) => {
          for (const message of messages) metrics.eventsProduced.inc({ topic: message.topic });
        },
      });
      metrics.onCollect(async () => {
        const backlog = await relay!.backlog();
        metrics.outboxBacklogRows.set(Number(backlog.rows));
        metrics.outboxOldestAgeSeconds.set(backlog.oldestAgeMs / 1000);
      });
    } else {
      const logBus = await PostgresLogBus.open({ db });
      bus = logBus;
      topicAdmin = new PostgresLogTopicAdmin(db, (topic) => logBus.invalidateTopic(topic));
      outbox = new LogOutbox(logBus);
    }
    const registry = await openSchemaRegistry(config, db, options.schemas ?? new Map());
    const codec = registry.codec;
    const deadLetters = new DeadLetterReplay({ bus, db, clock, ids });
    // Who vacuums and analyses: on PGlite, which has no autovacuum daemon, the backbone; on a
    // server, its autovacuum, and the backbone warns when that is off.
    let autovacuum: EmbeddedAutovacuum | undefined;
    if (!db.capabilities.autovacuumDaemon) {
      autovacuum = new EmbeddedAutovacuum({
        db,
        onRun: ({ durationMs }) => logger.debug({ durationMs: Math.round(durationMs) }, 'vacuumed and analyzed the embedded database'),
        onError: (error) => logger.warn({ err: error }, 'could not vacuum the embedded database; trying again later'),
      });
    } else {
      const settings = await readVacuumSettings(db);
      const problem = autovacuumProblem(settings);
      if (problem) logger.warn({ autovacuum: settings.autovacuum, trackCounts: settings.trackCounts }, problem);
    }
    return {
      config,
      db,
      bus,
      outbox,
      topicAdmin,
      registry,
      codec,
      clock,
      ids,
      logger,
      metricsRegistry,
      metrics,
      deadLetters,
      relay,
      autovacuum,
      consumerDeps: () => ({ db, bus, outbox, codec, clock, ids, logger, metrics }),
      async close() {
        await relay?.stop();
        await autovacuum?.stop();
        // The Kafka admin client keeps a socket open: left open, a stopped process never exits.
        await topicAdmin.close?.();
        await bus.close();
        await registry.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}

/**
 * The Kafka clients of the process, every one with the configured SASL and TLS settings (the
 * lag collector, the dead-letter replay and the CLI's topic commands use these two), after a
 * first connection: a refused login or an untrusted certificate stops the start here, with the
 * reason, instead of surfacing as retries in the relay and the consumers.
 */
async function openKafka(
  brokers: string[],
  security: KafkaSecurityConfig | undefined,
  logger: Logger,
): Promise<{ bus: KafkaEventBus; topicAdmin: KafkaTopicAdmin }> {
  const connection = kafkaConnectionOptions(brokers, security);
  if (security?.sasl && !security.tls)
    logger.warn(
      { mechanism: security.sasl.mechanism },
      'SASL without TLS (KAFKA_TLS unset): the broker is not authenticated and events travel in clear',
    );
  const bus = new KafkaEventBus(connection);
  const topicAdmin = new KafkaTopicAdmin(connection);
  try {
    await bus.checkConnection();
    return { bus, topicAdmin };
  } catch (error) {
    await Promise.allSettled([bus.close(), topicAdmin.close()]);
    throw error;
  }
}

/** The connection settings of @platformatic/kafka's clients (Node's `tls.connect` options, SASL) for the configured security. */
export function kafkaConnectionOptions(brokers: string[], security: KafkaSecurityConfig | undefined): KafkaEventBusOptions {
  const { sasl, tls } = security ?? {};
  return {
    bootstrapBrokers: brokers,
    ...(sasl && { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } }),
    ...(tls && { tls: { ...(tls.ca !== undefined && { ca: tls.ca }), ...(tls.cert !== undefined && { cert: tls.cert, key: tls.key }) } }),
  };
}

async function openDatabase(config: PaystreamConfig): Promise<Database> {
  // Every service of the process shares the pool: one consumer holding connections (a batch per
  // partition) must leave room for the API and the others, hence 20 by default.
  if (config.database.kind === 'postgres')
    return new PostgresDatabase({ connectionString: config.database.url, poolSize: config.database.poolSize ?? 20 });
  // In a worker thread: PGlite blocks the thread it runs on, and this one serves HTTP.
  return PgliteWorkerDatabase.open({ dataDir: config.database.dataDir });
}
