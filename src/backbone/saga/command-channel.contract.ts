import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsumerRunner, type EventHandler } from '../consumer/index.ts';
import { permanentError, transientError } from '../errors.ts';
import { migrate } from '../storage/migrate.ts';
import { eventually, type BackboneFixture } from '../testing/embedded-fixture.ts';
import type { CommandChannel, OutgoingSagaCommand, SagaCommandMessage, SagaReply } from './command-channel.ts';
import type { SagaDefinition } from './definition.ts';
import { sagaMigrations } from './migrations.ts';
import { SagaOrchestrator } from './saga-orchestrator.ts';
import { readSagaInstance } from './saga-view.ts';

/** A command channel on one engine, with what the contract needs to look behind it. */
export interface CommandChannelFixture {
  /** The database, the event bus (replies travel there) and its outbox. */
  backbone: BackboneFixture;
  channel: CommandChannel;
  /** Makes `name` ready to receive: a topic and its dead-letter topic, or a quorum queue and its DLQ. */
  createDestination(name: string): Promise<void>;
  /**
   * Puts one command on the wire twice, as one message delivered twice (the same message id), the
   * way a relay that crashed after the broker took it and before it recorded that would.
   */
  sendTwice(command: OutgoingSagaCommand): Promise<void>;
  /** The dead letters of `destination` so far: the command id and the reason recorded with it. */
  deadLetters(destination: string): Promise<{ commandId: string; reason: string }[]>;
  close(): Promise<void>;
}

type Behaviour = 'ok' | 'refuse' | 'permanent' | 'transient-once';

/**
 * The contract every command channel passes (`CommandChannel`): a command sent in a committed
 * transaction is handled once, with its reply on the event bus; one sent in a rolled-back
 * transaction never arrives; one delivered twice is applied once; a permanent failure is
 * dead-lettered with its reason, a transient one handled on a later delivery; and the example saga
 * runs end to end over the channel.
 */
export function commandChannelContract(name: string, makeFixture: () => Promise<CommandChannelFixture>): void {
  describe(`command channel: ${name}`, () => {
    let fixture: CommandChannelFixture;
    let replyTopic: string;
    const running: { stop(): Promise<void> }[] = [];
    const behaviours = new Map<string, Behaviour>();
    /** Every call of the participant's handler, committed or not: `<commandId>#<attempt>`. */
    const handled: string[] = [];
    const replies: SagaReply[] = [];
    let sequence = 0;

    beforeAll(async () => {
      fixture = await makeFixture();
      const { db } = fixture.backbone;
      await db.exec(`create table if not exists command_channel_effects (command_id text not null, attempt int4 not null)`);
      replyTopic = fixture.backbone.topicName('cc-replies');
      await fixture.backbone.createTopic(replyTopic);
      const collect: EventHandler<SagaReply> = async (event) => void replies.push(event.payload);
      const collector = new ConsumerRunner(fixture.backbone.deps, {
        name: fixture.backbone.topicName('cc-reply-collector'),
        topics: [replyTopic],
        handler: collect as EventHandler,
      });
      await collector.start();
      running.push(collector);
      await fixture.channel.start();
    });

    afterAll(async () => {
      for (const runner of running.reverse()) await runner.stop();
      await fixture?.channel.close();
      await fixture?.close();
    });

    /** A destination of its own and a participant on it that records its effect and replies as told. */
    const participantOn = async (base: string): Promise<string> => {
      const destination = fixture.backbone.topicName(base);
      await fixture.createDestination(destination);
      const participant = fixture.channel.participant(
        fixture.backbone.topicName(`${base}-participant`),
        [destination],
        async (command, { tx, reply }) => {
          handled.push(`${command.commandId}#${command.attempt}`);
          const behaviour = behaviours.get(command.commandId) ?? 'ok';
          if (behaviour === 'permanent') throw permanentError(`${command.name} cannot be done: account closed`);
          if (behaviour === 'transient-once' && handled.filter((entry) => entry.startsWith(`${command.commandId}#`)).length === 1)
            throw transientError(`${command.name}: the ledger timed out`);
          await tx.query(`insert into command_channel_effects (command_id, attempt) values ($1, $2)`, [command.commandId, command.attempt]);
          reply(behaviour !== 'refuse', behaviour === 'refuse' ? `${command.name} refused` : undefined);
        },
      );
      await participant.start();
      running.push(participant);
      return destination;
    };
    const command = (destination: string, behaviour: Behaviour = 'ok'): OutgoingSagaCommand => {
      sequence += 1;
      const sagaId = `saga-${sequence}-${Math.random().toString(36).slice(2, 8)}`;
      const message: SagaCommandMessage = {
        sagaId,
        commandId: `${sagaId}/step/0`,
        sagaType: 'contract',
        kind: 'step',
        name: 'RESERVE',
        attempt: 1,
        data: { amountMinor: 1250n, currency: 'EUR' },
        replyTopic,
      };
      behaviours.set(message.commandId, behaviour);
      return { destination, key: sagaId, message };
    };
    const send = (commands: OutgoingSagaCommand[]) =>
      fixture.backbone.db.transaction((tx) => fixture.channel.send(tx, commands, { correlationId: commands[0]!.key }));
    const effectsOf = async (commandId: string) =>
      Number(
        (
          await fixture.backbone.db.query<{ count: bigint }>(
            `select count(*)::int8 as count from command_channel_effects where command_id = $1`,
            [commandId],
          )
        ).rows[0]!.count,
      );
    const repliesTo = (commandId: string) => replies.filter((reply) => reply.commandId === commandId);
    const handledCount = (commandId: string) => handled.filter((entry) => entry.startsWith(`${commandId}#`)).length;

    it('delivers a command sent in a committed transaction once, with its data exact and its reply on the bus', async () => {
      const destination = await participantOn('cc-committed');
      const sent = command(destination);
      await send([sent]);
      await eventually(() => repliesTo(sent.message.commandId).length === 1, 'the reply', 60_000);
      expect(repliesTo(sent.message.commandId)).toEqual([{ sagaId: sent.key, commandId: sent.message.commandId, ok: true }]);
      expect(await effectsOf(sent.message.commandId)).toBe(1);
      expect(handledCount(sent.message.commandId)).toBe(1);
    });

    it('never delivers a command whose transaction rolled back', async () => {
      const destination = await participantOn('cc-rolled-back');
      const rolledBack = command(destination);
      const committed = { ...command(destination), key: rolledBack.key };
      await expect(
        fixture.backbone.db.transaction(async (tx) => {
          await fixture.channel.send(tx, [rolledBack], { correlationId: rolledBack.key });
          throw new Error('the sender failed after sending');
        }),
      ).rejects.toThrow('the sender failed');
      await send([committed]);
      await eventually(() => repliesTo(committed.message.commandId).length === 1, 'the committed command', 60_000);
      expect(handledCount(rolledBack.message.commandId)).toBe(0);
      expect(repliesTo(rolledBack.message.commandId)).toEqual([]);
    });

    it('applies a command delivered twice once, and the reply of its first handling stands', async () => {
      const destination = await participantOn('cc-twice');
      const twice = command(destination);
      await fixture.sendTwice(twice);
      // The same key after it: handled once the two deliveries before it are settled.
      const after = { ...command(destination), key: twice.key };
      await send([after]);
      await eventually(() => repliesTo(after.message.commandId).length === 1, 'the command after the duplicate', 60_000);
      expect(handledCount(twice.message.commandId)).toBe(1);
      expect(await effectsOf(twice.message.commandId)).toBe(1);
      expect(repliesTo(twice.message.commandId)).toHaveLength(1);
    });

    it('dead-letters a command whose handler fails for good, with the reason, and applies nothing of it', async () => {
      const destination = await participantOn('cc-dead');
      const doomed = command(destination, 'permanent');
      await send([doomed]);
      await eventually(
        async () => (await fixture.deadLetters(destination)).some((letter) => letter.commandId === doomed.message.commandId),
        'the dead letter',
        60_000,
      );
      const letters = await fixture.deadLetters(destination);
      expect(letters).toEqual([{ commandId: doomed.message.commandId, reason: expect.stringContaining('account closed') as string }]);
      expect(await effectsOf(doomed.message.commandId)).toBe(0);
      expect(repliesTo(doomed.message.commandId)).toEqual([]);
    });

    it('delivers again a command whose handler failed transiently, and applies it once', async () => {
      const destination = await participantOn('cc-transient');
      const flaky = command(destination, 'transient-once');
      await send([flaky]);
      await eventually(() => repliesTo(flaky.message.commandId).length === 1, 'the reply after the retry', 60_000);
      expect(handledCount(flaky.message.commandId)).toBe(2);
      expect(await effectsOf(flaky.message.commandId)).toBe(1);
      expect(await fixture.deadLetters(destination)).toEqual([]);
    });

    it('runs the example saga end to end over the channel, a refusal compensated', async () => {
      const [stock, billing, shipping] = [
        await participantOn('cc-saga-stock'),
        await participantOn('cc-saga-billing'),
        await participantOn('cc-saga-shipping'),
      ];
      const sagaReplies = fixture.backbone.topicName('cc-saga-replies');
      await fixture.backbone.createTopic(sagaReplies);
      await migrate(fixture.backbone.db, 'saga', sagaMigrations);
      const definition: SagaDefinition = {
        type: 'channel-example',
        steps: [
          { name: 'RESERVE', commandTopic: stock!, compensation: 'RELEASE' },
          { name: 'CHARGE', commandTopic: billing!, compensation: 'REFUND' },
          { name: 'SHIP', commandTopic: shipping! },
        ],
        stepTimeoutMs: 600_000,
        maxAttempts: 3,
        compensation: { maxAttempts: 3, retryDelayMs: 600_000, timeoutMs: 600_000 },
      };
      const orchestrator = new SagaOrchestrator(
        { ...fixture.backbone.deps, metrics: undefined, channel: fixture.channel },
        { definition, replyTopic: sagaReplies, consumerName: fixture.backbone.topicName('cc-saga-orchestrator') },
      );
      const replyConsumer = new ConsumerRunner(fixture.backbone.deps, orchestrator.replyConsumer());
      await replyConsumer.start();
      running.push(replyConsumer);
      const completed = `order-${Math.random().toString(36).slice(2, 10)}`;
      const refused = `order-${Math.random().toString(36).slice(2, 10)}`;
      behaviours.set(`${refused}/step/2`, 'refuse');
      await orchestrator.start(completed, { orderId: completed, amountMinor: 990n });
      await orchestrator.start(refused, { orderId: refused });
      const settled = (sagaId: string, status: string) =>
        eventually(async () => (await readSagaInstance(fixture.backbone.db, sagaId))?.status === status, `${sagaId} ${status}`, 90_000);
      await settled(completed, 'COMPLETED');
      await settled(refused, 'COMPENSATED');
      const steps = (await readSagaInstance(fixture.backbone.db, completed))!.steps.map((step) => [step.name, step.outcome]);
      expect(steps).toEqual([
        ['RESERVE', 'SUCCEEDED'],
        ['CHARGE', 'SUCCEEDED'],
        ['SHIP', 'SUCCEEDED'],
      ]);
      const compensations = (await readSagaInstance(fixture.backbone.db, refused))!.compensations.map((step) => step.name);
      expect(compensations).toEqual(['REFUND', 'RELEASE']);
    });
  });
}
