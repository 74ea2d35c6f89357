import {
  RabbitCommandChannel,
  rabbitCommandChannelMigrations,
  registerCommandRelayMetrics,
} from '../backbone/command-channel-rabbitmq/index.ts';
import { BusCommandChannel, type CommandChannel } from '../backbone/saga/index.ts';
import { migrate } from '../backbone/storage/migrate.ts';
import type { Backbone } from './backbone.ts';

/**
 * The saga command channel the configuration chooses (SAGA_COMMAND_CHANNEL, RABBITMQ_URL), for the
 * services that run a saga (`SagaPorts.commandChannel`): the orchestrator sends through it and the
 * participants consume from it (`commandParticipant` in src/services/saga-participant.ts). On
 * RabbitMQ its tables are migrated here and its relay's backlog is put on /metrics
 * (`paystream_saga_command_backlog_rows`, `paystream_saga_command_oldest_age_seconds`; 0 on the
 * bus); nothing
 * connects until `start()` (the relay of its outbox) or a participant's `start()`. The platform
 * starts it, and closes it after stopping the participants:
 *
 *   const channel = await openCommandChannel(backbone);
 *   const services = buildServices(serviceDepsOf(backbone, channel), config, tuning);
 *   await channel.start();
 *   // ... the services' participants run as their consumers (bus) or workers (RabbitMQ)
 *   // on shutdown: stop the workers, then await channel.close();
 */
export async function openCommandChannel(
  backbone: Pick<Backbone, 'config' | 'db' | 'consumerDeps' | 'metricsRegistry'>,
): Promise<CommandChannel> {
  const settings = backbone.config.sagaCommands ?? { kind: 'bus' };
  if (settings.kind === 'bus') {
    // Served on every channel, so the alert rules' metrics exist everywhere: the bus's commands
    // are the event outbox's rows (paystream_outbox_*), none ever waits for RabbitMQ.
    registerCommandRelayMetrics(backbone.metricsRegistry, async () => ({ rows: 0n, oldestAgeMs: 0 }));
    return new BusCommandChannel(backbone.consumerDeps());
  }
  await migrate(backbone.db, 'saga-rabbitmq', rabbitCommandChannelMigrations);
  // Under PAYSTREAM_NAMESPACE the queues are too, as the Kafka topics are.
  const channel = new RabbitCommandChannel(backbone.consumerDeps(), { url: settings.url, namespace: backbone.config.namespace ?? '' });
  registerCommandRelayMetrics(backbone.metricsRegistry, () => channel.backlog());
  return channel;
}
