import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Database, SqlRunner } from '../backbone/storage/database.ts';
import type { Migration } from '../backbone/storage/migrate.ts';
import type { ConsumerOptions } from '../backbone/consumer/consumer-runner.ts';
import type { Clock, IdGenerator } from '../backbone/clock/clock.ts';
import type { EventCause, NewEvent } from '../backbone/envelope/event-encoder.ts';
import type { TopicAdmin, TopicSpec } from '../backbone/topics/topic-admin.ts';
import type { Outbox } from '../backbone/outbox/outbox.ts';
import type { EventCodec } from '../backbone/codec/event-codec.ts';
import type { CommandChannel } from '../backbone/saga/command-channel.ts';

/**
 * What a payment service is made of, so the composition root (`src/runtime/`) can run every
 * service in one process or one service per process (`paystream start --only ledger`) without
 * knowing any of them: its own tables, the consumers it runs, the HTTP routes it serves and the
 * background loops it keeps. A service gets ports only (database, publisher, clock); it never
 * chooses an adapter.
 */
export interface PaymentService {
  /** Stable name: `--only <name>`, the migration scope, the prefix of its consumer groups. */
  name: string;
  /** Its own tables, applied once per database before anything starts. */
  migrations: readonly Migration[];
  /** Topics it publishes that no other declaration covers. */
  topics?: readonly TopicSpec[];
  /** Consumers to run (each a consumer group, exactly-once effects in `db`). */
  consumers: readonly ConsumerOptions[];
  /** HTTP routes, mounted on the process's API server. */
  routes?: (app: FastifyInstance) => Promise<void> | void;
  /** Loops that run beside the consumers (e.g. a status chaser, a delivery worker). */
  workers?: readonly BackgroundWorker[];
}

export interface BackgroundWorker {
  name: string;
  start(): Promise<void>;
  /** Graceful: finish the current step, then resolve. */
  stop(): Promise<void>;
}

/** The ports every service is built from. */
export interface ServiceDeps {
  db: Database;
  publisher: EventPublisher;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metricsRegistry: Registry;
}

/**
 * What a service that orchestrates a saga or takes part in one needs besides: the command channel
 * the platform was configured with (SAGA_COMMAND_CHANNEL: the event bus or RabbitMQ), which the
 * orchestrator sends through and the participants consume from (`commandParticipant`); and the
 * event outbox and codec, for the orchestrator's and participants' events.
 */
export interface SagaPorts {
  outbox: Outbox;
  codec: EventCodec;
  commandChannel: CommandChannel;
}

/**
 * Publishes events from outside a consumer (an HTTP request, a callback, a timer), through the
 * outbox: written in `tx`, published if and only if `tx` commits. Inside a consumer's handler use
 * `context.emit` instead, which also derives the envelope from the event being handled.
 */
export interface EventPublisher {
  publish(tx: SqlRunner, events: readonly NewEvent[], cause: EventCause): Promise<void>;
  /** The same, for events with different causes (e.g. one per request of a group commit). */
  publishEach(tx: SqlRunner, events: readonly CausedEvent[]): Promise<void>;
}

/**
 * What a service that runs a live stream processor needs besides (src/backbone/stream/): the
 * runner writes its outputs to the outbox itself, and checks at start that its input topics are
 * co-partitioned, which the topic admin knows.
 */
export interface StreamPorts extends SagaPorts {
  topicAdmin: Pick<TopicAdmin, 'describeTopics'>;
}

export interface CausedEvent {
  event: NewEvent;
  cause: EventCause;
}
