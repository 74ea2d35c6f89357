import type { GetMessage } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rabbitCommandChannelFixture } from '../../../test/support/command-channel-fixtures.ts';
import { describeWithRabbitMQ, rabbitmqUrl } from '../../../test/support/engines.ts';
import { closeConnectionsNamed, hasRabbitmqctl, queueDeclaration } from '../../../test/support/test-rabbitmq.ts';
import { deadLetterHeaders } from '../consumer/index.ts';
import { transientError } from '../errors.ts';
import { FaultPoints, type FaultPoint } from '../faults.ts';
import type { CommandParticipant, OutgoingSagaCommand, SagaParticipantHandler, SagaReply } from '../saga/index.ts';
import { embeddedFixture, eventually } from '../testing/embedded-fixture.ts';
import { deadLetterQueueOf } from './topology.ts';

type Fixture = Awaited<ReturnType<typeof rabbitCommandChannelFixture>>;

// What only RabbitMQ has: its queues' declaration, a crash between the commit and the ack, the
// delivery limit, and a connection the broker drops. The database and the replies are embedded.
describeWithRabbitMQ('RabbitMQ participant', () => {
  let fixture: Fixture;
  let replyTopic: string;
  const participants: CommandParticipant[] = [];
  /** Crashes once at the next acknowledgement when armed; counts the acknowledgements reached. */
  const faults = {
    armed: false,
    /** Crash at every acknowledgement: a command that brings its consumer down each time. */
    always: false,
    acknowledgements: 0,
    reach(point: FaultPoint) {
      if (point !== FaultPoints.commandAfterCommit) return;
      faults.acknowledgements += 1;
      if (faults.armed || faults.always) {
        faults.armed = false;
        throw new Error('crashed between the commit and the ack');
      }
    },
  };
  const calls = new Map<string, number>();

  beforeAll(async () => {
    fixture = await rabbitCommandChannelFixture(embeddedFixture, rabbitmqUrl(), { maxDeliveries: 3, faults });
    await fixture.backbone.db.exec(`create table rabbit_test_effects (command_id text not null)`);
    replyTopic = fixture.backbone.topicName('rabbit-replies');
    await fixture.backbone.createTopic(replyTopic);
    await fixture.channel.start();
  });

  afterAll(async () => {
    for (const participant of participants) await participant.stop();
    await fixture?.channel.close();
    await fixture?.close();
  });

  const participantOn = async (base: string, handle?: SagaParticipantHandler) => {
    const destination = fixture.backbone.topicName(base);
    const name = fixture.backbone.topicName(`${base}-participant`);
    await fixture.createDestination(destination);
    const participant = fixture.channel.participant(name, [destination], async (command, context) => {
      calls.set(command.commandId, (calls.get(command.commandId) ?? 0) + 1);
      if (handle) return handle(command, context);
      await context.tx.query(`insert into rabbit_test_effects (command_id) values ($1)`, [command.commandId]);
      context.reply(true);
    });
    await participant.start();
    participants.push(participant);
    return { destination, name };
  };
  const command = (destination: string): OutgoingSagaCommand => {
    const sagaId = `saga-${Math.random().toString(36).slice(2, 10)}`;
    return {
      destination,
      key: sagaId,
      message: { sagaId, sagaType: 'test', commandId: `${sagaId}/step/0`, kind: 'step', name: 'RESERVE', attempt: 1, data: {}, replyTopic },
    };
  };
  const send = (sent: OutgoingSagaCommand) =>
    fixture.backbone.db.transaction((tx) => fixture.channel.send(tx, [sent], { correlationId: sent.key }));
  const repliesTo = async (commandId: string) =>
    (await fixture.backbone.records(replyTopic)).filter(
      (record) => (JSON.parse(record.value!.toString()) as SagaReply).commandId === commandId,
    );
  const effectsOf = async (commandId: string) =>
    (await fixture.backbone.db.query(`select 1 from rabbit_test_effects where command_id = $1`, [commandId])).rows.length;

  it('declares a destination as a quorum queue with a delivery limit, dead-lettering through the DLX into its own DLQ', async (context) => {
    if (!(await hasRabbitmqctl())) context.skip('rabbitmqctl cannot reach the broker here (it needs its Erlang cookie)');
    const { destination } = await participantOn('rabbit-topology');
    expect(await queueDeclaration(destination)).toEqual({
      type: 'quorum',
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': 3,
        'x-dead-letter-exchange': 'paystream.saga.commands.dlx',
        'x-dead-letter-routing-key': destination,
      },
    });
    expect(await queueDeclaration(deadLetterQueueOf(destination))).toMatchObject({ type: 'quorum' });
  });

  it('acknowledges a command redelivered after a crash between its commit and its ack, without running it again', async () => {
    const { destination } = await participantOn('rabbit-crash');
    const sent = command(destination);
    const before = faults.acknowledgements;
    faults.armed = true;
    await send(sent);
    // The first delivery committed and crashed before its ack; the redelivery reaches the ack too.
    await eventually(() => faults.acknowledgements === before + 2, 'the redelivered command acknowledged');
    expect(faults.armed).toBe(false);
    expect(calls.get(sent.message.commandId)).toBe(1);
    expect(await effectsOf(sent.message.commandId)).toBe(1);
    expect(await repliesTo(sent.message.commandId)).toHaveLength(1);
  });

  it('has the broker dead-letter a command that keeps crashing its consumer, past the delivery limit', async () => {
    const { destination } = await participantOn('rabbit-poison');
    const sent = command(destination);
    faults.always = true;
    try {
      await send(sent);
      await eventually(async () => (await fixture.deadLetters(destination)).length === 1, 'the dead letter', 60_000);
    } finally {
      faults.always = false;
    }
    // The queue's own dead-lettering: the reason is the broker's, in x-death.
    expect(await fixture.deadLetters(destination)).toEqual([{ commandId: sent.message.commandId, reason: 'delivery_limit' }]);
    expect(calls.get(sent.message.commandId)).toBe(1);
    expect(await effectsOf(sent.message.commandId)).toBe(1);
    expect(await repliesTo(sent.message.commandId)).toHaveLength(1);
  });

  it('dead-letters a command that keeps failing transiently at its last delivery, with the last reason', async () => {
    const { destination } = await participantOn('rabbit-exhausted', async () => {
      throw transientError('the core banking system timed out');
    });
    const sent = command(destination);
    await send(sent);
    await eventually(async () => (await fixture.deadLetters(destination)).length === 1, 'the dead letter');
    expect(await fixture.deadLetters(destination)).toEqual([
      { commandId: sent.message.commandId, reason: 'failed 3 deliveries, the last: the core banking system timed out' },
    ]);
    expect(calls.get(sent.message.commandId)).toBe(3);
    expect(await repliesTo(sent.message.commandId)).toEqual([]);
  });

  it('dead-letters a message that is no saga command, with the reason, without calling the handler', async () => {
    const { destination } = await participantOn('rabbit-unreadable');
    await fixture.channel.publishNow([{ topic: destination, key: Buffer.from('k'), value: Buffer.from('not a command'), headers: {} }]);
    const letters: GetMessage[] = [];
    await eventually(async () => {
      const got = await fixture.admin.get(deadLetterQueueOf(destination), { noAck: true });
      if (got) letters.push(got);
      return letters.length > 0;
    }, 'the dead letter');
    const letter = letters[0]!;
    const headers = letter.properties.headers!;
    expect(headers[deadLetterHeaders.reason]).toBe('record has no event-id header');
    expect(headers[deadLetterHeaders.errorCode]).toBe('INVALID_ENVELOPE');
    expect(headers[deadLetterHeaders.originalTopic]).toBe(destination);
    expect(letter.content.toString()).toBe('not a command');
  });

  it('reconnects the participant and the relay after the broker dropped their connections, and goes on', async (context) => {
    if (!(await hasRabbitmqctl())) context.skip('rabbitmqctl cannot reach the broker here (it needs its Erlang cookie)');
    const { destination, name } = await participantOn('rabbit-reconnect');
    const first = command(destination);
    await send(first);
    await eventually(async () => (await effectsOf(first.message.commandId)) === 1, 'the first command');
    expect(await closeConnectionsNamed(`paystream participant ${name}`)).toBe(1);
    // The relay's connection too (integration test files run one at a time: no other relay is about).
    expect(await closeConnectionsNamed('paystream saga command relay')).toBeGreaterThanOrEqual(1);
    const second = command(destination);
    await send(second);
    await eventually(async () => (await effectsOf(second.message.commandId)) === 1, 'the command after the reconnect', 30_000);
    expect(await repliesTo(second.message.commandId)).toHaveLength(1);
  });
});
