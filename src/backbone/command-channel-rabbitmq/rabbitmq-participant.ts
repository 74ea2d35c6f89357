import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { EmittedEvent } from '../consumer/index.ts';
import { deadLetterHeaders } from '../consumer/index.ts';
import { envelopeFromHeaders } from '../envelope/envelope.ts';
import { EventEncoder } from '../envelope/event-encoder.ts';
import { BackboneError, classifyError, ErrorCodes, permanentError, type ErrorCode } from '../errors.ts';
import { FaultPoints } from '../faults.ts';
import {
  sagaCommandEventType,
  sagaReplyTo,
  type CommandParticipant,
  type SagaCommandMessage,
  type SagaParticipantHandler,
} from '../saga/index.ts';
import { fromAmqp, previousDeliveries } from './amqp-message.ts';
import type { ResolvedRabbitOptions } from './options.ts';
import { declareDestination, queueOf } from './topology.ts';
import { connectRabbit, watchClosing, type RabbitDeps } from './connection.ts';

/** The participant's deps: the channel's (`RabbitDeps`). */
export type RabbitParticipantDeps = RabbitDeps;

type Settlement =
  { kind: 'ack' } | { kind: 'requeue'; reason: string } | { kind: 'dead-letter'; code: ErrorCode; reason: string; attempts: number };

/**
 * A participant consuming its destinations' quorum queues with manual acknowledgements and a
 * prefetch of `maxUnacknowledged`. Each command runs in a database transaction that records its
 * message in `saga_command_handled` (participant, event id) and writes the handler's reply to the
 * event bus's outbox; the command is acknowledged after the commit. A message already recorded (a
 * redelivery after a crash between the commit and the acknowledgement, a relay's re-send) is
 * acknowledged without running the handler; a re-send by the orchestrator is a new message. Commands of one key (a saga) are handled one after the other, in the
 * order delivered; different keys concurrently.
 *
 * Failures: a permanent error (or a command that cannot be read) is republished to the dead-letter
 * exchange with `dlq-reason` and the other `dlq-*` headers, confirmed, then acknowledged (should
 * that fail, it is rejected without requeue, and the queue's own dead-lettering takes it through the
 * same exchange, its reason then only the broker's `x-death`). A transient error requeues it after
 * `transientRetryDelayMs`, until its `maxDeliveries`-th delivery, which dead-letters it. A dropped
 * connection or channel is re-opened after `reconnectDelayMs`; its unacknowledged commands come
 * back from the broker.
 */
export class RabbitParticipant implements CommandParticipant {
  readonly #deps: RabbitParticipantDeps;
  readonly #options: ResolvedRabbitOptions;
  readonly #name: string;
  readonly #destinations: readonly string[];
  readonly #handle: SagaParticipantHandler;
  readonly #encoder: EventEncoder;
  readonly #abort = new AbortController();
  /** The tail of each key's chain of deliveries. */
  readonly #byKey = new Map<string, Promise<void>>();
  #channel: Channel | undefined;
  #deadLetters: ConfirmChannel | undefined;
  #consumerTags: string[] = [];
  #running: Promise<void> | undefined;
  #consuming: Promise<void> | undefined;

  constructor(
    deps: RabbitParticipantDeps,
    options: ResolvedRabbitOptions,
    name: string,
    destinations: readonly string[],
    handle: SagaParticipantHandler,
  ) {
    if (destinations.length === 0) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `participant ${name} has no destinations`);
    this.#deps = deps;
    this.#options = options;
    this.#name = name;
    this.#destinations = destinations;
    this.#handle = handle;
    this.#encoder = new EventEncoder(deps.codec, deps.ids, deps.clock);
  }

  /** Connects and consumes; resolves once consuming (it keeps trying while the broker is down). */
  start(): Promise<void> {
    if (!this.#consuming) {
      let ready!: () => void;
      this.#consuming = new Promise<void>((resolve) => (ready = resolve));
      this.#running = this.#run(ready);
    }
    return this.#consuming;
  }

  /** Graceful: stops consuming, lets the commands in hand finish and be acknowledged, then disconnects. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #run(ready: () => void): Promise<void> {
    const aborted = new Promise<void>((resolve) => this.#abort.signal.addEventListener('abort', () => resolve(), { once: true }));
    while (!this.#abort.signal.aborted) {
      let connection: ChannelModel | undefined;
      try {
        const { logger } = this.#deps;
        const fields = { participant: this.#name };
        connection = await connectRabbit(this.#options.url, `paystream participant ${this.#name}`);
        const dropped = watchClosing(connection, logger, 'RabbitMQ connection', fields);
        const channel = await connection.createChannel();
        const channelDropped = watchClosing(channel, logger, 'RabbitMQ channel', fields);
        const deadLetters = await connection.createConfirmChannel();
        void watchClosing(deadLetters, logger, 'RabbitMQ dead-letter channel', fields);
        await channel.prefetch(this.#options.maxUnacknowledged);
        for (const destination of this.#destinations) await declareDestination(channel, this.#options, destination);
        this.#channel = channel;
        this.#deadLetters = deadLetters;
        this.#consumerTags = [];
        for (const destination of this.#destinations) {
          const { consumerTag } = await channel.consume(
            queueOf(this.#options, destination),
            (message) => this.#deliver(channel, destination, message),
            {
              noAck: false,
            },
          );
          this.#consumerTags.push(consumerTag);
        }
        ready();
        await Promise.race([dropped, channelDropped, aborted]);
        if (this.#abort.signal.aborted) await this.#drain(channel);
      } catch (error) {
        if (!this.#abort.signal.aborted)
          this.#deps.logger.warn({ err: error, participant: this.#name }, 'RabbitMQ participant lost its broker; reconnecting');
      } finally {
        this.#channel = undefined;
        this.#deadLetters = undefined;
        await connection?.close().catch(() => {});
      }
      if (!this.#abort.signal.aborted) await this.#deps.clock.sleep(this.#options.reconnectDelayMs, this.#abort.signal);
    }
    ready();
  }

  /** Stops the deliveries, then waits for the commands in hand to be settled. */
  async #drain(channel: Channel): Promise<void> {
    for (const tag of this.#consumerTags) await channel.cancel(tag).catch(() => {});
    while (this.#byKey.size > 0) await Promise.allSettled([...this.#byKey.values()]);
  }

  #deliver(channel: Channel, destination: string, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): re-open, which declares it again.
      void channel.close().catch(() => {});
      return;
    }
    const { key, headers } = fromAmqp(message);
    const chainKey = key.toString('utf8');
    const previous = this.#byKey.get(chainKey) ?? Promise.resolve();
    const next = previous.then(() => this.#settle(channel, destination, message, key, headers));
    this.#byKey.set(chainKey, next);
    void next.finally(() => {
      if (this.#byKey.get(chainKey) === next) this.#byKey.delete(chainKey);
    });
  }

  async #settle(
    channel: Channel,
    destination: string,
    message: ConsumeMessage,
    key: Buffer,
    headers: ReturnType<typeof fromAmqp>['headers'],
  ): Promise<void> {
    const attempts = previousDeliveries(message) + 1;
    let settlement: Settlement;
    try {
      await this.#apply(destination, message, key, headers);
      settlement = { kind: 'ack' };
    } catch (error) {
      const { code, retryable, message: reason } = classifyError(error);
      if (!retryable) settlement = { kind: 'dead-letter', code, reason, attempts };
      else if (attempts >= this.#options.maxDeliveries)
        settlement = {
          kind: 'dead-letter',
          code: ErrorCodes.RETRIES_EXHAUSTED,
          reason: `failed ${attempts} deliveries, the last: ${reason}`,
          attempts,
        };
      else settlement = { kind: 'requeue', reason };
    }
    // The channel it came on is gone: the broker gives the command again, and the record of it
    // (if the transaction committed) acknowledges it then.
    if (channel !== this.#channel) return;
    try {
      if (settlement.kind === 'ack') {
        this.#deps.faults?.reach(FaultPoints.commandAfterCommit);
        channel.ack(message);
      } else if (settlement.kind === 'requeue') {
        this.#deps.logger.warn({ participant: this.#name, destination, attempts }, 'saga command failed transiently; delivered again');
        await this.#deps.clock.sleep(this.#options.transientRetryDelayMs, this.#abort.signal);
        channel.nack(message, false, true);
      } else {
        await this.#deadLetter(channel, destination, message, settlement);
      }
    } catch (error) {
      // Between the commit and the acknowledgement: nothing is known to the broker, so give it all
      // back (closing the channel requeues what it holds), and the record of it answers the redelivery.
      this.#deps.logger.warn({ err: error, participant: this.#name }, 'could not settle a saga command; re-opening the channel');
      await channel.close().catch(() => {});
    }
  }

  /** The command's transaction: recorded, handled, its reply and events in the outbox; or nothing. */
  async #apply(destination: string, message: ConsumeMessage, key: Buffer, headers: ReturnType<typeof fromAmqp>['headers']): Promise<void> {
    const { envelope } = envelopeFromHeaders(headers, key);
    if (envelope.eventType !== sagaCommandEventType) throw permanentError(`not a saga command: ${envelope.eventType}`);
    const command = (await this.#deps.codec.decode(destination, envelope.eventType, message.content)) as SagaCommandMessage;
    if (typeof command?.commandId !== 'string' || typeof command.replyTopic !== 'string' || typeof command.attempt !== 'number')
      throw permanentError('a saga command needs commandId, attempt and replyTopic');
    await this.#deps.db.transaction(async (tx) => {
      const recorded = await tx.query(
        `insert into saga_command_handled (participant, event_id, command_id, attempt, handled_at) values ($1, $2, $3, $4, $5)
         on conflict do nothing returning 1`,
        [this.#name, envelope.eventId, command.commandId, command.attempt, new Date(this.#deps.clock.nowMs())],
      );
      if (recorded.rows.length === 0) return;
      const emitted: EmittedEvent[] = [];
      await this.#handle(command, {
        tx,
        emit: (event) => void emitted.push(event),
        reply: (ok, reason) => void emitted.push(sagaReplyTo(command, ok, reason)),
      });
      if (emitted.length === 0) return;
      const cause = {
        correlationId: envelope.correlationId ?? command.sagaId,
        eventId: envelope.eventId,
        traceparent: envelope.traceparent,
      };
      const messages = await Promise.all(emitted.map(async (event) => (await this.#encoder.encode(event, cause)).message));
      await this.#deps.outbox.write(tx, messages);
    });
  }

  /**
   * To the dead-letter queue through the dead-letter exchange, with the reason: republished with
   * confirms, then acknowledged (RabbitMQ's reject cannot add a header). If that fails the command
   * is rejected without requeue, and the queue dead-letters it through the same exchange.
   */
  async #deadLetter(
    channel: Channel,
    destination: string,
    message: ConsumeMessage,
    settlement: Extract<Settlement, { kind: 'dead-letter' }>,
  ): Promise<void> {
    this.#deps.logger.warn(
      { participant: this.#name, destination, code: settlement.code, attempts: settlement.attempts },
      'saga command dead-lettered',
    );
    try {
      const deadLetters = this.#deadLetters;
      if (!deadLetters) throw new Error('no dead-letter channel');
      const headers = {
        ...(message.properties.headers ?? {}),
        [deadLetterHeaders.reason]: settlement.reason,
        [deadLetterHeaders.errorCode]: settlement.code,
        [deadLetterHeaders.originalTopic]: destination,
        [deadLetterHeaders.failedAt]: new Date(this.#deps.clock.nowMs()).toISOString(),
        [deadLetterHeaders.attempts]: String(settlement.attempts),
        [deadLetterHeaders.consumerGroup]: this.#name,
      };
      const { messageId, type } = message.properties as { messageId?: string; type?: string };
      deadLetters.publish(this.#options.deadLetterExchange, queueOf(this.#options, destination), message.content, {
        persistent: true,
        headers,
        ...(messageId ? { messageId } : {}),
        ...(type ? { type } : {}),
      });
      await deadLetters.waitForConfirms();
      channel.ack(message);
    } catch (error) {
      this.#deps.logger.warn(
        { err: error, participant: this.#name },
        'could not republish a dead letter; rejecting it to the queue dead-letter exchange',
      );
      channel.reject(message, false);
    }
  }
}
