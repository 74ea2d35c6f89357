import type { EmittedEvent } from '../consumer/index.ts';
import type { EventCause, EventEncoder } from '../envelope/event-encoder.ts';
import type { OutgoingMessage } from '../messaging/event-bus.ts';
import type { SqlRunner } from '../storage/database.ts';
import type { SagaCommand } from './definition.ts';

/** The payload of a command to a participant (event type `saga.command`). */
export interface SagaCommandMessage extends Omit<SagaCommand, 'topic'> {
  /** Where the participant sends its `SagaReply`: a topic of the event bus, whatever the channel. */
  replyTopic: string;
}

/** A participant's answer to a command (event type `saga.reply`), keyed by saga id. */
export interface SagaReply {
  sagaId: string;
  commandId: string;
  ok: boolean;
  /** Why the participant refused (no personal data: it is kept in the history and shown to operators). */
  reason?: string;
}

export const sagaCommandEventType = 'saga.command';
export const sagaReplyEventType = 'saga.reply';

/** The reply a participant emits for `command`, to be emitted in the transaction that did its work. */
export function sagaReplyTo(command: SagaCommandMessage, ok: boolean, reason?: string): EmittedEvent {
  const reply: SagaReply = { sagaId: command.sagaId, commandId: command.commandId, ok, ...(reason === undefined ? {} : { reason }) };
  return { topic: command.replyTopic, eventType: sagaReplyEventType, key: command.sagaId, payload: reply };
}

/**
 * A participant's work on one command, in the database transaction that commits it: its effects
 * through `tx`, and its answer through `reply` (and any other event through `emit`), all published
 * on the event bus if and only if the transaction commits. The same command may arrive more than
 * once (a re-send after a deadline, a redelivery): a participant deduplicates on
 * `command.commandId` and answers again with the same outcome. Throw `permanentError(...)` to
 * dead-letter the command at once, `transientError(...)` to have it delivered again.
 */
export type SagaParticipantHandler = (
  command: SagaCommandMessage,
  context: { tx: SqlRunner; reply(ok: boolean, reason?: string): void; emit(event: EmittedEvent): void },
) => Promise<void>;

/** A command on its way to a participant. */
export interface OutgoingSagaCommand {
  /** The participant's destination: a step's `commandTopic` (a topic, or a queue on RabbitMQ). */
  destination: string;
  /** The saga id: the commands of one saga keep their order. */
  key: string;
  message: SagaCommandMessage;
}

/**
 * The command-channel port: how the saga orchestrator's commands reach the participants. Replies
 * are not its business: they are events on the event bus's reply topic, whatever the channel
 * (commands may travel over MQ, events stay on the log).
 *
 * Two implementations pass one contract suite (`command-channel.contract.ts`): the event bus
 * (`BusCommandChannel`: the outbox and a consumer, on Kafka or on the table log) and RabbitMQ
 * (`command-channel-rabbitmq/`: quorum queues, publisher confirms, manual acks, a dead-letter
 * exchange).
 */
export interface CommandChannel {
  readonly kind: 'bus' | 'rabbitmq';

  /**
   * Sends `commands`, delivered if and only if `tx` commits: written in `tx`, relayed after the
   * commit. At least once: a relay that crashed after the broker took a command but before it
   * recorded that sends the command again; participants drop such a duplicate (`participant`).
   * The commands of one key reach a participant in the order sent.
   */
  send(tx: SqlRunner, commands: readonly OutgoingSagaCommand[], cause: EventCause): Promise<void>;

  /**
   * Participant `name` handling the commands of `destinations`. Each command is handled in a
   * database transaction that also records its message (by event id) and holds the reply the
   * handler gives; the command is acknowledged only after that commit. So a message delivered again
   * (a crash between the commit and the acknowledgement, a relay's re-send) is acknowledged without
   * running the handler again, its reply already out. A re-send by the orchestrator (a deadline, an
   * operator's retry) is a new message with the same command id, for the handler to answer again. A handler's permanent error dead-letters the
   * command with its reason; a transient one has it delivered again, a bounded number of times,
   * then dead-lettered.
   */
  participant(name: string, destinations: readonly string[], handle: SagaParticipantHandler): CommandParticipant;

  /** Starts what the channel runs in the background (RabbitMQ: the relay of its outbox). */
  start(): Promise<void>;

  /** Stops the background work and closes connections; participants are stopped by their owners. */
  close(): Promise<void>;
}

/** A running participant: `start` resolves once it consumes, `stop` once in-flight commands are done. */
export interface CommandParticipant {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The commands as messages of event type `saga.command` (envelope in headers, payload by the codec), for a channel's outbox. */
export function encodeSagaCommands(
  encoder: EventEncoder,
  commands: readonly OutgoingSagaCommand[],
  cause: EventCause,
): Promise<OutgoingMessage[]> {
  return Promise.all(
    commands.map(
      async ({ destination, key, message }) =>
        (await encoder.encode({ topic: destination, eventType: sagaCommandEventType, key, payload: message }, cause)).message,
    ),
  );
}
