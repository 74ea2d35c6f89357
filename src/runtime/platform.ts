import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { ConsumerRunner, type ConsumedEvent, type ConsumerOptions } from '../backbone/consumer/index.ts';
import { createLagCollector } from '../backbone/observability/lag.ts';
import { deadLetterReviewGroupId } from '../backbone/dead-letter/index.ts';
import { migrate } from '../backbone/storage/migrate.ts';
import { BusCommandChannel, type CommandChannel } from '../backbone/saga/index.ts';
import { EventEncoder } from '../backbone/envelope/event-encoder.ts';
import { ensureTopics } from '../backbone/topics/apply-topics.ts';
import { capReplication, defineTopic } from '../backbone/topics/define-topic.ts';
import { withFailureTopics } from '../backbone/topics/failure-topics.ts';
import { defaultRetryDelaysMs } from '../backbone/topics/failure-topics.ts';
import type { TopicSpec } from '../backbone/topics/topic-admin.ts';
import { paymentSchemaMap } from '../contracts/schemas.ts';
import { outboxPublisher, type BackgroundWorker, type PaymentService, type ServiceDeps, type StreamPorts } from '../services/index.ts';
import { ApiKeys, apiKeyRoutes, installApiKeyAuth, requireScope, schemaRegistryAuthorizer } from '../services/gateway/index.ts';
import type { PaystreamConfig } from './config.ts';
import { embeddedDurabilityWarning, openBackbone, type Backbone } from './backbone.ts';
import { buildHttpServer } from './http-server.ts';
import { deadLetterRoutes } from './dead-letter-routes.ts';
import { sagaRoutes } from './saga-routes.ts';
import { openCommandChannel } from './command-channel.ts';
import { startMaintenance } from './maintenance.ts';
import { buildServices, serviceNames, type ServiceTuning } from './service-catalog.ts';
import { ordersRuntime, type OrdersTuning } from './orders-app.ts';
import { orderSchemaMap } from '../apps/orders/index.ts';

export interface PlatformOptions {
  /** Run only these services (`paystream start --only ledger`); default every service. */
  only?: readonly string[];
  /** Test and benchmark knobs (retry delays, RTGS timings); production uses the defaults. */
  tuning?: ServiceTuning;
  /** Listen on this port instead of config.port (0: any free port). */
  port?: number;
  /** The order flow's test and benchmark knobs (src/apps/orders). */
  orders?: OrdersTuning;
}

export interface RunningPlatform {
  url: string;
  app: FastifyInstance;
  backbone: Backbone;
  /** The key created at the first start (print it once), when no PAYSTREAM_API_KEY is set. */
  initialApiKey: string | undefined;
  apiKeys: ApiKeys;
  services: readonly PaymentService[];
  /** Graceful: stop HTTP intake, then consumers (finishing their batches), workers, relay. */
  close(): Promise<void>;
}

/**
 * The composition root of the payment platform: opens the backbone on the configured engines,
 * applies every service's migrations, provisions the topics, mounts the HTTP API, and runs the
 * consumers and workers of the selected services. One process can run everything (the embedded
 * default) or one service (scaled out on Kafka and PostgreSQL).
 */
export async function startPlatform(config: PaystreamConfig, logger: Logger, options: PlatformOptions = {}): Promise<RunningPlatform> {
  const backbone = await openBackbone(config, logger, { schemas: platformSchemaMap() });
  if (config.database.kind === 'pglite') logger.warn({ dataDir: config.database.dataDir }, embeddedDurabilityWarning);
  const stoppers: (() => Promise<void>)[] = [];
  try {
    // The order flow (src/apps/orders) runs beside the payment services: its participants are
    // migrated, selected (--only), mounted and run like them.
    const orders = ordersRuntime(backbone, config, { ...ordersRetry(options.tuning), ...options.orders });
    // Saga commands (the loan approval's) travel over the configured channel: the event bus, or RabbitMQ.
    const commandChannel = await openCommandChannel(backbone);
    stoppers.push(() => commandChannel.close());
    const all = [...buildServices(serviceDepsOf(backbone, commandChannel), config, options.tuning ?? {}), ...orders.app.participants];
    // Every service's tables exist in every process: validation reads the ledger's accounts, and a
    // process started with --only must not depend on another having migrated first.
    for (const service of all) await migrate(backbone.db, service.name, service.migrations);
    const selected = selectServices(all, options.only);
    await ensureTopics(backbone.topicAdmin, topicsOf(all, config));

    const apiKeys = new ApiKeys(backbone.db, backbone.clock, { bootstrapKey: config.apiKey });
    const initialApiKey = await apiKeys.ensureInitialKey();
    const readinessChecks: Record<string, () => Promise<void>> = {};
    const app = await buildHttpServer(backbone, {
      authorizeRegistry: schemaRegistryAuthorizer(apiKeys),
      readinessChecks,
      mount: async (server) => {
        installApiKeyAuth(server, apiKeys);
        // Every process that authenticates can manage keys: none depends on the gateway running.
        await server.register(apiKeyRoutes({ keys: apiKeys, requireScope, nowMs: () => backbone.clock.nowMs() }));
        await server.register(deadLetterRoutes({ deadLetters: backbone.deadLetters, requireScope, logger: backbone.logger }));
        await server.register(sagaRoutes({ db: backbone.db, requireScope, nowMs: () => backbone.clock.nowMs() }));
        for (const service of selected) if (service.routes) await server.register(service.routes);
      },
    });

    const consumerDeps = { ...backbone.consumerDeps(), eventLogFields: paymentLogFields };
    const runners = selected.flatMap((service) => service.consumers.map((consumer) => new ConsumerRunner(consumerDeps, consumer)));
    // Joining a group can take a Kafka session timeout (30 s) after a member was killed: the API
    // must not wait for it. Events accepted meanwhile wait in the log; readiness says "joining".
    let consumersJoined = false;
    void Promise.all(runners.map((runner) => runner.start())).then(() => (consumersJoined = true));
    readinessChecks.consumers = async () => {
      if (!consumersJoined) throw new Error('joining consumer groups');
    };
    stoppers.push(() => Promise.all(runners.map((runner) => runner.stop())).then(() => {}));
    const workers: BackgroundWorker[] = selected.flatMap((service) => service.workers ?? []);
    for (const worker of workers) await worker.start();
    stoppers.push(() => Promise.all(workers.map((worker) => worker.stop())).then(() => {}));
    const lag = createLagCollector({
      bus: backbone.bus,
      metrics: backbone.metrics,
      groups: runners.flatMap((runner) => runner.groups()),
      deadLetters: { reviewGroupId: deadLetterReviewGroupId, topics: [...new Set(runners.flatMap((runner) => runner.deadLetterTopics()))] },
      perPartition: config.metrics?.lagPerPartition ?? false,
      onError: (error) => logger.warn({ err: error }, 'could not collect consumer lag'),
    });
    stoppers.push(async () => lag.stop());
    backbone.relay?.start();
    await commandChannel.start();
    backbone.autovacuum?.start();
    const maintenance = startMaintenance(backbone);
    stoppers.push(async () => clearInterval(maintenance));

    const url = await app.listen({ port: options.port ?? config.port, host: config.host });
    await orders.connect(url, apiKeys);
    return {
      url,
      app,
      backbone,
      initialApiKey,
      apiKeys,
      services: selected,
      async close() {
        await app.close();
        for (const stop of stoppers.reverse()) await stop();
        await backbone.close();
      },
    };
  } catch (error) {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
    await backbone.close().catch(() => {});
    throw error;
  }
}

/** The Avro schema of every topic the platform writes or reads: the payment flow's and the order flow's. */
export function platformSchemaMap(): Map<string, string> {
  return new Map([...paymentSchemaMap(), ...orderSchemaMap()]);
}

function ordersRetry(tuning: ServiceTuning | undefined): OrdersTuning {
  return tuning?.retryDelaysMs ? { retryDelaysMs: tuning.retryDelaysMs } : {};
}

/**
 * The ports the services are built from, on an open backbone (and the outbox, codec and command
 * channel a saga's orchestrator and participants use; the event bus's channel unless given one).
 */
export function serviceDepsOf(
  backbone: Backbone,
  commandChannel: CommandChannel = new BusCommandChannel(backbone.consumerDeps()),
): ServiceDeps & StreamPorts {
  return {
    db: backbone.db,
    topicAdmin: backbone.topicAdmin,
    outbox: backbone.outbox,
    codec: backbone.codec,
    commandChannel,
    publisher: outboxPublisher(new EventEncoder(backbone.codec, backbone.ids, backbone.clock), backbone.outbox),
    clock: backbone.clock,
    ids: backbone.ids,
    logger: backbone.logger,
    metricsRegistry: backbone.metricsRegistry,
  };
}

/**
 * The payment an event is about, for the log context of its handling: every payment event's
 * payload has its `paymentId` (src/contracts/events.ts), so every line logged about it carries it.
 */
export function paymentLogFields(event: ConsumedEvent): { paymentId?: string } {
  const paymentId = (event.payload as { paymentId?: unknown } | null | undefined)?.paymentId;
  return typeof paymentId === 'string' ? { paymentId } : {};
}

function selectServices(all: readonly PaymentService[], only: readonly string[] | undefined): PaymentService[] {
  if (!only || only.length === 0) return [...all];
  const unknown = only.filter((name) => !all.some((service) => service.name === name));
  if (unknown.length > 0) throw new Error(`unknown service ${unknown.join(', ')}; services: ${serviceNames.join(', ')}`);
  return all.filter((service) => only.includes(service.name));
}

/**
 * Every topic the services consume or publish, with the retry tiers their non-blocking consumers
 * need and a dead-letter topic each, capped to what the event log can replicate.
 */
export function topicsOf(services: readonly PaymentService[], config: PaystreamConfig): TopicSpec[] {
  const delaysByTopic = new Map<string, Set<number>>();
  const note = (topic: string, delays: readonly number[]) => {
    const set = delaysByTopic.get(topic) ?? new Set<number>();
    for (const delay of delays) set.add(delay);
    delaysByTopic.set(topic, set);
  };
  for (const topic of platformSchemaMap().keys()) note(topic, []);
  for (const consumer of services.flatMap((service) => service.consumers)) {
    for (const topic of consumer.topics) note(topic, retryDelaysOf(consumer));
  }
  const declared = [...delaysByTopic].flatMap(([topic, delays]) =>
    withFailureTopics(defineTopic({ name: topic }), { retryDelaysMs: [...delays] }),
  );
  const extra = services.flatMap((service) => service.topics ?? []);
  const maxReplicationFactor = config.eventLog.kind === 'kafka' ? config.eventLog.replicationFactor : 1;
  return capReplication([...declared, ...extra], maxReplicationFactor);
}

function retryDelaysOf(consumer: ConsumerOptions): readonly number[] {
  if (consumer.retry?.mode !== 'non-blocking') return [];
  return consumer.retry.delaysMs ?? defaultRetryDelaysMs;
}
