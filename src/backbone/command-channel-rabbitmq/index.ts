export { RabbitCommandChannel, type RabbitCommandChannelDeps } from './rabbitmq-command-channel.ts';
export { RabbitParticipant, type RabbitParticipantDeps } from './rabbitmq-participant.ts';
export {
  defaultRabbitUrl,
  rabbitDefaults,
  redactRabbitUrl,
  resolveRabbitOptions,
  type RabbitCommandChannelOptions,
  type ResolvedRabbitOptions,
} from './options.ts';
export { rabbitCommandChannelMigrations, commandOutbox } from './migrations.ts';
export { deadLetterQueueOf, declareDestination, queueOf, type RabbitTopology } from './topology.ts';
export { messageKeyHeader } from './amqp-message.ts';
export { pruneHandledCommands, handledCommandsRetentionMsDefault } from './pruning.ts';
export { registerCommandRelayMetrics } from './metrics.ts';
export { connectRabbit, watchClosing, type RabbitDeps } from './connection.ts';
