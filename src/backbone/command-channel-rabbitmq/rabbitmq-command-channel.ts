import { EventEncoder, type EventCause } from '../envelope/event-encoder.ts';
import type { OutgoingMessage } from '../messaging/event-bus.ts';
import { OutboxRelay, TableOutbox } from '../outbox/index.ts';
import {
  encodeSagaCommands,
  type CommandChannel,
  type CommandParticipant,
  type OutgoingSagaCommand,
  type SagaParticipantHandler,
} from '../saga/index.ts';
import type { SqlRunner } from '../storage/database.ts';
import { commandOutbox } from './migrations.ts';
import type { RabbitDeps } from './connection.ts';
import { resolveRabbitOptions, type RabbitCommandChannelOptions, type ResolvedRabbitOptions } from './options.ts';
import { RabbitParticipant } from './rabbitmq-participant.ts';
import { RabbitCommandPublisher } from './rabbitmq-publisher.ts';

/** The channel's deps, shared with its participants (`RabbitDeps`). */
export type RabbitCommandChannelDeps = RabbitDeps;

/**
 * Saga commands over RabbitMQ, for banks that keep commands on MQ; replies stay events on the event
 * bus. `send` writes the commands to `saga_command_outbox` in the sender's transaction; the
 * channel's relay (an `OutboxRelay` of that table, one active per database) publishes them to the
 * direct exchange with publisher confirms, persistent, and deletes the rows only after the broker
 * confirmed them. Participants consume quorum queues (see `RabbitParticipant`, and `topology.ts`
 * for the exchanges and queues).
 */
export class RabbitCommandChannel implements CommandChannel {
  readonly kind = 'rabbitmq';
  readonly #deps: RabbitCommandChannelDeps;
  readonly #options: ResolvedRabbitOptions;
  readonly #encoder: EventEncoder;
  readonly #outbox = new TableOutbox(commandOutbox);
  readonly #publisher: RabbitCommandPublisher;
  readonly #relay: OutboxRelay;

  constructor(deps: RabbitCommandChannelDeps, options: RabbitCommandChannelOptions) {
    this.#deps = deps;
    this.#options = resolveRabbitOptions(options);
    this.#encoder = new EventEncoder(deps.codec, deps.ids, deps.clock);
    this.#publisher = new RabbitCommandPublisher(this.#options.url, this.#options, deps.logger);
    this.#relay = new OutboxRelay({
      db: deps.db,
      bus: this.#publisher,
      outbox: commandOutbox,
      clock: deps.clock,
      idlePollMs: this.#options.relayIdlePollMs,
      failureBackoffMs: this.#options.reconnectDelayMs,
      onError: (error) => deps.logger.warn({ err: error }, 'saga commands not relayed to RabbitMQ yet; retrying'),
    });
  }

  async send(tx: SqlRunner, commands: readonly OutgoingSagaCommand[], cause: EventCause): Promise<void> {
    if (commands.length === 0) return;
    await this.#outbox.write(tx, await encodeSagaCommands(this.#encoder, commands, cause));
  }

  participant(name: string, destinations: readonly string[], handle: SagaParticipantHandler): CommandParticipant {
    return new RabbitParticipant(this.#deps, this.#options, name, destinations, handle);
  }

  async start(): Promise<void> {
    this.#relay.start();
  }

  async close(): Promise<void> {
    await this.#relay.stop();
    await this.#publisher.close();
  }

  /** Publishes messages straight to the broker, confirmed, bypassing the outbox: for tools and tests. */
  publishNow(messages: readonly OutgoingMessage[]): Promise<void> {
    return this.#publisher.publish(messages);
  }

  /** Unrelayed commands and the age of the oldest, for metrics. */
  backlog(): ReturnType<OutboxRelay['backlog']> {
    return this.#relay.backlog();
  }
}
