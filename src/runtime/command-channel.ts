import { RabbitCommandChannel, rabbitCommandChannelMigrations } from '../backbone/command-channel-rabbitmq/index.ts';
import { BusCommandChannel, type CommandChannel } from '../backbone/saga/index.ts';
import { migrate } from '../backbone/storage/migrate.ts';
import type { Backbone } from './backbone.ts';

/**
 * The saga command channel the configuration chooses (SAGA_COMMAND_CHANNEL, RABBITMQ_URL), for a
 * service that runs a saga: give it to the `SagaOrchestrator` (`deps.channel`) and run the
 * participants with its `participant(...)`. On RabbitMQ its tables are migrated here; nothing
 * connects until `start()` (the relay of its outbox) or a participant's `start()`. The caller
 * starts it, and closes it after stopping its participants:
 *
 *   const channel = await openCommandChannel(backbone);
 *   const orchestrator = new SagaOrchestrator({ ...backbone.consumerDeps(), channel }, { definition, replyTopic });
 *   const participant = channel.participant('loans.credit-check', ['loans.credit-check.commands.v1'], handleCreditCheck);
 *   await channel.start();
 *   await participant.start();
 *   // ... on shutdown: await participant.stop(); await channel.close();
 */
export async function openCommandChannel(backbone: Pick<Backbone, 'config' | 'db' | 'consumerDeps'>): Promise<CommandChannel> {
  const settings = backbone.config.sagaCommands ?? { kind: 'bus' };
  if (settings.kind === 'bus') return new BusCommandChannel(backbone.consumerDeps());
  await migrate(backbone.db, 'saga-rabbitmq', rabbitCommandChannelMigrations);
  return new RabbitCommandChannel(backbone.consumerDeps(), { url: settings.url });
}
