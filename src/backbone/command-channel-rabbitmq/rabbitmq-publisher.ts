import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import type { Logger } from 'pino';
import { BackboneError, ErrorCodes } from '../errors.ts';
import type { EventBus, OutgoingMessage } from '../messaging/event-bus.ts';
import { toAmqp } from './amqp-message.ts';
import { connectRabbit, watchClosing } from './connection.ts';
import { declareDestination, queueOf, type RabbitTopology } from './topology.ts';

/**
 * Publishes commands to RabbitMQ with publisher confirms: `publish` resolves once the broker has
 * confirmed every message (a quorum queue confirms once a majority of its replicas has it), and
 * rejects if any was refused or could not be routed, so the relay keeps the rows and tries again.
 * Connects on first use and again after the connection dropped; declares each destination once per
 * connection before its first message.
 */
export class RabbitCommandPublisher implements Pick<EventBus, 'publish'> {
  readonly #url: string;
  readonly #topology: RabbitTopology;
  readonly #logger: Logger;
  #opening: Promise<{ connection: ChannelModel; channel: ConfirmChannel; declared: Set<string> }> | undefined;
  #closed = false;

  constructor(url: string, topology: RabbitTopology, logger: Logger) {
    this.#url = url;
    this.#topology = topology;
    this.#logger = logger;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (this.#closed) throw new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, 'the RabbitMQ publisher is closed');
    const opening = (this.#opening ??= this.#open());
    try {
      const { channel, declared } = await opening;
      for (const destination of new Set(messages.map((message) => message.topic))) {
        if (declared.has(destination)) continue;
        await declareDestination(channel, this.#topology, destination);
        declared.add(destination);
      }
      const unroutable: string[] = [];
      const onReturn = (returned: Message) => unroutable.push(returned.fields.routingKey);
      channel.on('return', onReturn);
      try {
        for (const message of messages) {
          const { content, options } = toAmqp(message);
          channel.publish(this.#topology.exchange, queueOf(this.#topology, message.topic), content, options);
        }
        await channel.waitForConfirms();
      } finally {
        channel.off('return', onReturn);
      }
      if (unroutable.length > 0)
        throw new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, `RabbitMQ routed no queue for ${[...new Set(unroutable)].join(', ')}`);
    } catch (error) {
      // Whatever failed, the next round starts on a fresh connection (and declares again).
      if (this.#opening === opening) this.#opening = undefined;
      await opening.then(({ connection }) => connection.close()).catch(() => {});
      throw error instanceof BackboneError
        ? error
        : new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, `RabbitMQ did not confirm the commands: ${messageOf(error)}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    await opening?.then(({ connection }) => connection.close()).catch(() => {});
  }

  #open(): Promise<{ connection: ChannelModel; channel: ConfirmChannel; declared: Set<string> }> {
    const opening = (async () => {
      const connection = await connectRabbit(this.#url, 'paystream saga command relay');
      // A dropped connection or channel is forgotten at once, so the next round opens a new one.
      const forget = () => {
        if (this.#opening === opening) this.#opening = undefined;
      };
      void watchClosing(connection, this.#logger, 'RabbitMQ connection of the command relay').then(forget);
      try {
        const channel = await connection.createConfirmChannel();
        void watchClosing(channel, this.#logger, 'RabbitMQ channel of the command relay').then(forget);
        return { connection, channel, declared: new Set<string>() };
      } catch (error) {
        await connection.close().catch(() => {});
        throw error;
      }
    })();
    return opening;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
