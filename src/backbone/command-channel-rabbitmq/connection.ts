import { connect, type ChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import type { BatchProcessorDeps } from '../consumer/batch-processor-options.ts';

/**
 * What the RabbitMQ channel and its participants are built from: a consumer's deps (the database
 * holding the channel's tables and the participants' state; the event bus's outbox, where
 * participants' replies go in their transaction; codec, clock, ids, logger; fault points in tests).
 */
export type RabbitDeps = Pick<BatchProcessorDeps, 'db' | 'outbox' | 'codec' | 'clock' | 'ids' | 'logger' | 'faults'>;

/**
 * Connects to the broker as `connectionName`, the name `rabbitmqctl list_connections` and the
 * management UI show for it (operators find the relay and each participant by it; tests close
 * connections by it). The URL holds the password: it is never logged.
 */
export function connectRabbit(url: string, connectionName: string): Promise<ChannelModel> {
  return connect(url, { clientProperties: { connection_name: connectionName } });
}

/**
 * Watches a connection or a channel: logs its failures as `<what> failed` with `fields`, and
 * resolves once it is closed, whoever closed it. amqplib emits 'error' before 'close', and an
 * 'error' without a listener would crash the process, so every connection and channel gets this.
 */
export function watchClosing(
  target: { on(event: 'error', listener: (error: Error) => void): unknown; once(event: 'close', listener: () => void): unknown },
  logger: Logger,
  what: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  target.on('error', (error) => logger.warn({ err: error, ...fields }, `${what} failed`));
  return new Promise<void>((resolve) => target.once('close', () => resolve()));
}
