import { ConsumerRunner, type ConsumerOptions, type ConsumerRunnerDeps, type EventHandler } from '../consumer/index.ts';
import { EventEncoder, type EventCause } from '../envelope/event-encoder.ts';
import { permanentError } from '../errors.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { SqlRunner } from '../storage/database.ts';
import {
  encodeSagaCommands,
  sagaCommandEventType,
  sagaReplyTo,
  type CommandChannel,
  type CommandParticipant,
  type OutgoingSagaCommand,
  type SagaCommandMessage,
  type SagaParticipantHandler,
} from './command-channel.ts';

/** What the bus channel needs: the outbox to send; the whole consumer runner's deps to run participants. */
export type BusCommandChannelDeps = Pick<ConsumerRunnerDeps, 'outbox' | 'codec' | 'clock' | 'ids'> & Partial<ConsumerRunnerDeps>;

/**
 * Commands as events on the event bus (Kafka, or the table log on the embedded engine): sent
 * through the outbox in the sender's transaction, handled by a `ConsumerRunner` whose batch
 * transaction holds the participant's work, its reply and the consumer's position. A redelivery is
 * skipped by position, a duplicate send by event id (the runner's processed ids); a permanent error
 * goes to `<topic>.dlq` with `dlq-reason`, a transient one is retried with the runner's backoff,
 * then dead-lettered.
 */
export class BusCommandChannel implements CommandChannel {
  readonly kind = 'bus';
  readonly #deps: BusCommandChannelDeps;
  readonly #outbox: Outbox;
  readonly #encoder: EventEncoder;

  constructor(deps: BusCommandChannelDeps) {
    this.#deps = deps;
    this.#outbox = deps.outbox;
    this.#encoder = new EventEncoder(deps.codec, deps.ids, deps.clock);
  }

  async send(tx: SqlRunner, commands: readonly OutgoingSagaCommand[], cause: EventCause): Promise<void> {
    if (commands.length === 0) return;
    await this.#outbox.write(tx, await encodeSagaCommands(this.#encoder, commands, cause));
  }

  participant(name: string, destinations: readonly string[], handle: SagaParticipantHandler): CommandParticipant {
    const { bus, db, logger } = this.#deps;
    if (!bus || !db || !logger) throw new TypeError('a participant on the bus channel needs the consumer runner deps (bus, db, logger)');
    return new ConsumerRunner({ ...this.#deps, bus, db, logger }, sagaParticipant(name, destinations, handle));
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}

/** A participant consuming `topics` as group `name`, for a `ConsumerRunner`. */
export function sagaParticipant(name: string, topics: readonly string[], handle: SagaParticipantHandler): ConsumerOptions {
  const handler: EventHandler<SagaCommandMessage> = async (event, { tx, emit }) => {
    const command = event.payload;
    if (
      event.envelope.eventType !== sagaCommandEventType ||
      typeof command?.commandId !== 'string' ||
      typeof command.replyTopic !== 'string'
    )
      throw permanentError('a saga command needs commandId and replyTopic');
    await handle(command, { tx, emit, reply: (ok, reason) => emit(sagaReplyTo(command, ok, reason)) });
  };
  return { name, topics, handler: handler as EventHandler };
}
