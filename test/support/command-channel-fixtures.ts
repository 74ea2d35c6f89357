import { randomBytes } from 'node:crypto';
import { connect, type Channel } from 'amqplib';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import {
  RabbitCommandChannel,
  deadLetterQueueOf,
  declareDestination,
  rabbitCommandChannelMigrations,
  resolveRabbitOptions,
  type RabbitCommandChannelOptions,
} from '../../src/backbone/command-channel-rabbitmq/index.ts';
import type { FaultInjector } from '../../src/backbone/faults.ts';
import { migrate } from '../../src/backbone/storage/migrate.ts';
import { deadLetterHeaders } from '../../src/backbone/consumer/index.ts';
import { EventEncoder } from '../../src/backbone/envelope/event-encoder.ts';
import { BusCommandChannel, encodeSagaCommands, sagaCommandEventType, type SagaCommandMessage } from '../../src/backbone/saga/index.ts';
import type { CommandChannelFixture } from '../../src/backbone/saga/command-channel.contract.ts';
import type { BackboneFixture } from '../../src/backbone/testing/embedded-fixture.ts';
import { deadLetterTopicOf } from '../../src/backbone/topics/topic-naming.ts';

/** The event-bus command channel on a backbone fixture (the table log, or Kafka and PostgreSQL). */
export async function busCommandChannelFixture(makeBackbone: () => Promise<BackboneFixture>): Promise<CommandChannelFixture> {
  const backbone = await makeBackbone();
  const encoder = new EventEncoder(backbone.deps.codec, uuidV7Ids, systemClock);
  return {
    backbone,
    channel: new BusCommandChannel(backbone.deps),
    createDestination: (name) => backbone.createTopic(name),
    async sendTwice({ destination, key, message }) {
      const { message: encoded } = await encoder.encode(
        { topic: destination, eventType: sagaCommandEventType, key, payload: message },
        { correlationId: key },
      );
      await backbone.bus.publish([encoded, encoded]);
    },
    async deadLetters(destination) {
      const records = await backbone.records(deadLetterTopicOf(destination));
      return Promise.all(
        records.map(async (record) => {
          const command = (await backbone.deps.codec.decode(destination, sagaCommandEventType, record.value!)) as SagaCommandMessage;
          return { commandId: command.commandId, reason: record.headers[deadLetterHeaders.reason]?.toString() ?? '' };
        }),
      );
    },
    close: () => backbone.close(),
  };
}

/**
 * The RabbitMQ command channel on a backbone fixture (its database and, for the replies, its event
 * bus), on the test run's broker. Every queue it declares has a name of its own, and is deleted on
 * `close`.
 */
export async function rabbitCommandChannelFixture(
  makeBackbone: () => Promise<BackboneFixture>,
  url: string,
  options: Partial<RabbitCommandChannelOptions> & { faults?: FaultInjector } = {},
): Promise<CommandChannelFixture & { channel: RabbitCommandChannel; admin: Channel }> {
  const backbone = uniquelyNamed(await makeBackbone());
  await migrate(backbone.db, 'saga-rabbitmq', rabbitCommandChannelMigrations);
  const { faults, ...channelOptions } = options;
  const channel = new RabbitCommandChannel(
    { ...backbone.deps, ...(faults ? { faults } : {}) },
    { transientRetryDelayMs: 10, reconnectDelayMs: 100, relayIdlePollMs: 1_000, ...channelOptions, url },
  );
  const resolved = resolveRabbitOptions({ ...channelOptions, url });
  const connection = await connect(url);
  const admin = await connection.createChannel();
  const destinations = new Set<string>();
  const deadLetters = new Map<string, { commandId: string; reason: string }[]>();
  const encoder = new EventEncoder(backbone.deps.codec, uuidV7Ids, systemClock);
  trackDestinations(channel, destinations);
  return {
    backbone,
    channel,
    admin,
    async createDestination(name) {
      destinations.add(name);
      await declareDestination(admin, resolved, name);
    },
    async sendTwice(command) {
      const [message] = await encodeSagaCommands(encoder, [command], { correlationId: command.key });
      await channel.publishNow([message!, message!]);
    },
    async deadLetters(destination) {
      const letters = deadLetters.get(destination) ?? [];
      deadLetters.set(destination, letters);
      for (
        let got = await admin.get(deadLetterQueueOf(destination), { noAck: true });
        got;
        got = await admin.get(deadLetterQueueOf(destination), { noAck: true })
      ) {
        const command = (await backbone.deps.codec.decode(destination, sagaCommandEventType, got.content)) as SagaCommandMessage;
        const headers = (got.properties.headers ?? {}) as Record<string, unknown>;
        const reason = headers[deadLetterHeaders.reason] ?? headers['x-first-death-reason'];
        letters.push({ commandId: command.commandId, reason: typeof reason === 'string' ? reason : String(reason) });
      }
      return letters;
    },
    async close() {
      for (const destination of destinations) {
        await admin.deleteQueue(destination).catch(() => {});
        await admin.deleteQueue(deadLetterQueueOf(destination)).catch(() => {});
      }
      await connection.close().catch(() => {});
      await backbone.close();
    },
  };
}

/**
 * The backbone fixture with names of its own: the embedded fixture's topic names are the same in
 * every run, which is fine for a database in memory but not for queues on a broker that outlives it.
 */
export function uniquelyNamed(backbone: BackboneFixture): BackboneFixture {
  const suffix = randomBytes(4).toString('hex');
  return { ...backbone, topicName: (base) => backbone.topicName(`${base}-${suffix}`) };
}

/** Records in `destinations` the destinations `channel`'s participants consume, so a test can delete their queues. */
function trackDestinations(channel: RabbitCommandChannel, destinations: Set<string>): void {
  const participant = channel.participant.bind(channel);
  channel.participant = (name, names, handle) => {
    for (const destination of names) destinations.add(destination);
    return participant(name, names, handle);
  };
}

/** A RabbitMQ command channel whose `close` also deletes the queues of the participants it ran (and their DLQs). */
export function rabbitChannelDeletingItsQueues(channel: RabbitCommandChannel, url: string): RabbitCommandChannel {
  const destinations = new Set<string>();
  trackDestinations(channel, destinations);
  const close = channel.close.bind(channel);
  channel.close = async () => {
    await close();
    const connection = await connect(url);
    try {
      const admin = await connection.createChannel();
      for (const destination of destinations) {
        await admin.deleteQueue(destination);
        await admin.deleteQueue(deadLetterQueueOf(destination));
      }
    } finally {
      await connection.close().catch(() => {});
    }
  };
  return channel;
}
