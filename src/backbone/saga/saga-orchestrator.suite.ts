import { manualClock } from '../testing/manual-clock.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsumerRunner, type EmittedEvent } from '../consumer/index.ts';
import { BusCommandChannel } from './bus-command-channel.ts';
import type { CommandChannel, CommandParticipant } from './command-channel.ts';
import { createMetricsRegistry } from '../observability/metrics.ts';
import { migrate } from '../storage/migrate.ts';
import { eventually, type BackboneFixture } from '../testing/embedded-fixture.ts';
import type { SagaDefinition } from './definition.ts';
import { createSagaMetrics, type SagaMetrics } from './saga-metrics.ts';
import { SagaOrchestrator, sagaReplyTo, type SagaCommandMessage, type SagaParticipantHandler } from './saga-orchestrator.ts';
import { readSagaInstance, type SagaInstanceView } from './saga-view.ts';
import { retryStuckSaga } from './saga-retry.ts';
import { sagaMigrations } from './migrations.ts';

/** What a test's participant does with a command: reply, refuse, stay silent, or emit replies of its own making. */
type Behaviour = (command: SagaCommandMessage) => 'ok' | 'fail' | 'silent' | EmittedEvent[];

/**
 * The orchestrator on one engine, with a three-step example saga (RESERVE, CHARGE, SHIP; shipping
 * has nothing to undo) whose participants are a consumer of the three command topics in the test.
 * Commands, replies, the outbox and the consumer positions are the engine's real ones; only the
 * orchestrator's clock is a fake one, moved forward by the tests to fire deadlines and backoffs.
 * Commands travel over the command channel `makeChannel` gives (default: the event bus).
 */
export function sagaOrchestratorSuite(
  engineName: string,
  makeFixture: () => Promise<BackboneFixture>,
  makeChannel: (fixture: BackboneFixture) => Promise<CommandChannel> = async (fixture) => new BusCommandChannel(fixture.deps),
): void {
  describe(`saga orchestrator on ${engineName}`, () => {
    let fixture: BackboneFixture;
    let channel: CommandChannel;
    let orchestrator: SagaOrchestrator;
    let metrics: SagaMetrics;
    const runners: (ConsumerRunner | CommandParticipant)[] = [];
    const clock = manualClock();
    const behaviours = new Map<string, Behaviour>();
    const received: SagaCommandMessage[] = [];

    beforeAll(async () => {
      fixture = await makeFixture();
      channel = await makeChannel(fixture);
      await channel.start();
      await migrate(fixture.db, 'saga', sagaMigrations);
      // The application's own view, kept by onTransition in the orchestrator's transaction.
      await fixture.db.query(
        `create table if not exists saga_test_transitions (saga_id text not null, seq bigserial, status text not null, outcome text not null)`,
      );
      const topics = {
        stock: fixture.topicName('saga-stock'),
        billing: fixture.topicName('saga-billing'),
        shipping: fixture.topicName('saga-shipping'),
        replies: fixture.topicName('saga-replies'),
      };
      for (const topic of Object.values(topics)) await fixture.createTopic(topic);
      const definition: SagaDefinition = {
        type: 'example',
        steps: [
          { name: 'RESERVE', commandTopic: topics.stock, compensation: 'RELEASE' },
          { name: 'CHARGE', commandTopic: topics.billing, compensation: 'REFUND' },
          { name: 'SHIP', commandTopic: topics.shipping },
        ],
        stepTimeoutMs: 1_000,
        maxAttempts: 3,
        compensation: { maxAttempts: 3, retryDelayMs: 500, timeoutMs: 2_000 },
      };
      metrics = createSagaMetrics(createMetricsRegistry({ processMetrics: false }), fixture.db);
      orchestrator = new SagaOrchestrator(
        { ...fixture.deps, clock, metrics, channel },
        {
          definition,
          replyTopic: topics.replies,
          consumerName: fixture.topicName('saga-orchestrator'),
          timerPollMsMax: 50,
          onTransition: async (tx, { sagaId, state, outcome }) => {
            await tx.query(`insert into saga_test_transitions (saga_id, status, outcome) values ($1, $2, $3)`, [
              sagaId,
              state.status,
              outcome,
            ]);
          },
        },
      );
      const participant: SagaParticipantHandler = async (command, { emit, reply }) => {
        received.push(command);
        const answer = (behaviours.get(command.sagaId) ?? (() => 'ok'))(command);
        if (answer === 'silent') return;
        if (answer === 'ok') reply(true);
        else if (answer === 'fail') reply(false, `${command.name} refused`);
        else for (const event of answer) emit(event);
      };
      runners.push(
        channel.participant(fixture.topicName('saga-participants'), [topics.stock, topics.billing, topics.shipping], participant),
      );
      runners.push(new ConsumerRunner(fixture.deps, orchestrator.replyConsumer()));
      await Promise.all(runners.map((runner) => runner.start()));
    });

    afterAll(async () => {
      await Promise.all(runners.map((runner) => runner.stop()));
      await orchestrator?.stop();
      await channel?.close();
      await fixture?.close();
    });

    const commandsOf = (sagaId: string) =>
      received.filter((command) => command.sagaId === sagaId).map((command) => `${command.name}#${command.attempt}`);
    const view = async (sagaId: string): Promise<SagaInstanceView> => (await readSagaInstance(fixture.db, sagaId))!;
    const settled = async (sagaId: string, status: string) => {
      await eventually(
        async () => (await readSagaInstance(fixture.db, sagaId))?.status === status,
        `saga ${sagaId} to be ${status}`,
        90_000,
      );
      return view(sagaId);
    };
    const historyHas = (sagaId: string, eventType: string, attempt?: number) =>
      eventually(
        async () => {
          const rows = await fixture.db.query(
            `select 1 from saga_history where saga_id = $1 and event_type = $2 and ($3::int4 is null or attempt = $3)`,
            [sagaId, eventType, attempt ?? null],
          );
          return rows.rows.length > 0;
        },
        `saga ${sagaId} to record ${eventType}${attempt === undefined ? '' : ` #${attempt}`}`,
        90_000,
      );
    /** Moves the orchestrator's clock forward and fires what is due, as the timer worker would. */
    const advance = async (ms: number) => {
      clock.advance(ms);
      return orchestrator.fireDueTimers();
    };

    it('runs the three steps in order and completes', async () => {
      const sagaId = uniqueSagaId('happy');
      expect(await orchestrator.start(sagaId, { orderId: 'o-1', amountMinor: 1250n })).toBe(true);
      expect(await orchestrator.start(sagaId, { orderId: 'o-1', amountMinor: 1250n })).toBe(false);
      const instance = await settled(sagaId, 'COMPLETED');
      expect(instance.steps.map((step) => [step.name, step.outcome, step.attempts])).toEqual([
        ['RESERVE', 'SUCCEEDED', 1],
        ['CHARGE', 'SUCCEEDED', 1],
        ['SHIP', 'SUCCEEDED', 1],
      ]);
      expect(instance.compensations).toEqual([]);
      expect(commandsOf(sagaId)).toEqual(['RESERVE#1', 'CHARGE#1', 'SHIP#1']);
      expect(received.find((command) => command.sagaId === sagaId)!.data).toEqual({ orderId: 'o-1', amountMinor: 1250n });
      expect((await fixture.db.query(`select 1 from saga_timers where saga_id = $1`, [sagaId])).rows).toHaveLength(0);
      const transitions = await fixture.db.query<{ status: string; outcome: string }>(
        `select status, outcome from saga_test_transitions where saga_id = $1 order by seq`,
        [sagaId],
      );
      expect(transitions.rows.map((row) => `${row.status}/${row.outcome}`)).toEqual([
        'RUNNING/continue',
        'RUNNING/continue',
        'RUNNING/continue',
        'COMPLETED/completed',
      ]);
    });

    it('compensates steps 2 and 1, in reverse and once each, when step 3 fails', async () => {
      const sagaId = uniqueSagaId('ship-fails');
      behaviours.set(sagaId, (command) => (command.name === 'SHIP' ? 'fail' : 'ok'));
      await orchestrator.start(sagaId, { orderId: 'o-2' });
      const instance = await settled(sagaId, 'COMPENSATED');
      expect(commandsOf(sagaId)).toEqual(['RESERVE#1', 'CHARGE#1', 'SHIP#1', 'REFUND#1', 'RELEASE#1']);
      expect(instance.steps.at(-1)).toMatchObject({ name: 'SHIP', outcome: 'FAILED', reason: 'SHIP refused' });
      expect(instance.compensations.map((compensation) => [compensation.name, compensation.outcome])).toEqual([
        ['REFUND', 'SUCCEEDED'],
        ['RELEASE', 'SUCCEEDED'],
      ]);
    });

    it('sends a silent step again with the same command id, then fails it and compensates it and the step before', async () => {
      const sagaId = uniqueSagaId('timeout');
      behaviours.set(sagaId, (command) => (command.name === 'CHARGE' ? 'silent' : 'ok'));
      await orchestrator.start(sagaId, {});
      await historyHas(sagaId, 'StepSent', 1);
      await eventually(() => commandsOf(sagaId).includes('CHARGE#1'), 'the first CHARGE', 90_000);
      expect(await advance(999)).toBe(0);
      expect(await advance(1)).toBe(1);
      await eventually(() => commandsOf(sagaId).includes('CHARGE#2'), 'CHARGE sent again', 90_000);
      expect(await advance(1_999)).toBe(0); // the second deadline is twice the first
      expect(await advance(1)).toBe(1);
      await eventually(() => commandsOf(sagaId).includes('CHARGE#3'), 'CHARGE sent a third time', 90_000);
      expect(await advance(4_000)).toBe(1);
      const instance = await settled(sagaId, 'COMPENSATED');
      expect(commandsOf(sagaId)).toEqual(['RESERVE#1', 'CHARGE#1', 'CHARGE#2', 'CHARGE#3', 'REFUND#1', 'RELEASE#1']);
      expect(
        new Set(received.filter((command) => command.sagaId === sagaId && command.name === 'CHARGE').map((command) => command.commandId))
          .size,
      ).toBe(1);
      expect(instance.steps[1]).toMatchObject({ name: 'CHARGE', outcome: 'FAILED', attempts: 3, reason: 'no reply after 3 attempts' });
      expect(await counterValue(metrics.timeouts, { saga_type: 'example', step: 'CHARGE' })).toBeGreaterThanOrEqual(3);
    });

    it('ignores duplicate replies and a reply ahead of its step', async () => {
      const sagaId = uniqueSagaId('duplicates');
      behaviours.set(sagaId, (command) => {
        if (command.name !== 'RESERVE') return command.name === 'SHIP' ? 'fail' : 'ok';
        const ok = sagaReplyTo(command, true);
        // The same reply twice, then a success for SHIP before SHIP was even sent: taken, it would complete the saga.
        const early = { ...ok, payload: { sagaId, commandId: `${sagaId}/step/2`, ok: true } };
        return [ok, ok, early];
      });
      await orchestrator.start(sagaId, {});
      const instance = await settled(sagaId, 'COMPENSATED');
      expect(commandsOf(sagaId)).toEqual(['RESERVE#1', 'CHARGE#1', 'SHIP#1', 'REFUND#1', 'RELEASE#1']);
      const facts = await fixture.db.query<{ event_type: string; count: bigint }>(
        `select event_type, count(*)::int8 as count from saga_history where saga_id = $1 group by event_type order by event_type`,
        [sagaId],
      );
      expect(Object.fromEntries(facts.rows.map((row) => [row.event_type, Number(row.count)]))).toEqual({
        SagaStarted: 1,
        StepSent: 3,
        StepSucceeded: 2,
        StepFailed: 1,
        CompensationSent: 2,
        CompensationSucceeded: 2,
        SagaCompensated: 1,
      });
      expect(instance.steps.map((step) => step.outcome)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED']);
    });

    it('retries a compensation that fails twice, then goes on', async () => {
      const sagaId = uniqueSagaId('refund-retried');
      let refunds = 0;
      behaviours.set(sagaId, (command) =>
        command.name === 'SHIP' ? 'fail' : command.name === 'REFUND' ? (++refunds <= 2 ? 'fail' : 'ok') : 'ok',
      );
      await orchestrator.start(sagaId, {});
      await historyHas(sagaId, 'CompensationFailed', 1);
      expect(await advance(500)).toBe(1);
      await historyHas(sagaId, 'CompensationFailed', 2);
      expect(await advance(999)).toBe(0); // the second pause is twice the first
      expect(await advance(1)).toBe(1);
      const instance = await settled(sagaId, 'COMPENSATED');
      expect(commandsOf(sagaId)).toEqual(['RESERVE#1', 'CHARGE#1', 'SHIP#1', 'REFUND#1', 'REFUND#2', 'REFUND#3', 'RELEASE#1']);
      expect(instance.compensations.map((compensation) => [compensation.name, compensation.outcome, compensation.attempts])).toEqual([
        ['REFUND', 'SUCCEEDED', 3],
        ['RELEASE', 'SUCCEEDED', 1],
      ]);
    });

    it('stops STUCK on a compensation that keeps failing, and never skips to the next one', async () => {
      const sagaId = uniqueSagaId('stuck');
      behaviours.set(sagaId, (command) => (command.name === 'SHIP' || command.name === 'REFUND' ? 'fail' : 'ok'));
      const stuckBefore = await counterValue(metrics.stuck, { saga_type: 'example' });
      await orchestrator.start(sagaId, {});
      await historyHas(sagaId, 'CompensationFailed', 1);
      await advance(500);
      await historyHas(sagaId, 'CompensationFailed', 2);
      await advance(1_000);
      const instance = await settled(sagaId, 'STUCK');
      expect(instance.compensations).toMatchObject([
        { name: 'REFUND', outcome: 'STUCK', attempts: 3, reason: 'compensation failed 3 times: REFUND refused' },
      ]);
      const stuckFact = await fixture.db.query<{ name: string }>(
        `select name from saga_history where saga_id = $1 and event_type = 'SagaStuck'`,
        [sagaId],
      );
      expect(stuckFact.rows).toEqual([{ name: 'REFUND' }]);
      expect(await advance(3_600_000)).toBe(0);
      expect(commandsOf(sagaId)).toEqual(['RESERVE#1', 'CHARGE#1', 'SHIP#1', 'REFUND#1', 'REFUND#2', 'REFUND#3']);
      expect(await counterValue(metrics.stuck, { saga_type: 'example' })).toBe(stuckBefore + 1);
      const instances = await metrics.instances.get();
      expect(instances.values.find((value) => value.labels.status === 'STUCK')?.value).toBeGreaterThanOrEqual(1);
    });

    it("goes on compensating when an operator retries a STUCK instance's compensation once its cause is fixed", async () => {
      const sagaId = uniqueSagaId('retried');
      let refundWorks = false;
      behaviours.set(sagaId, (command) => (command.name === 'SHIP' || (command.name === 'REFUND' && !refundWorks) ? 'fail' : 'ok'));
      expect(await retryStuckSaga(fixture.db, sagaId, { operator: 'ops-1', reason: 'no such saga', nowMs: clock.nowMs() })).toBe(
        'not-found',
      );
      await orchestrator.start(sagaId, {});
      await historyHas(sagaId, 'CompensationFailed', 1);
      expect(await retryStuckSaga(fixture.db, sagaId, { operator: 'ops-1', reason: 'too early', nowMs: clock.nowMs() })).toBe('not-stuck');
      await advance(500);
      await historyHas(sagaId, 'CompensationFailed', 2);
      await advance(1_000);
      await settled(sagaId, 'STUCK');
      refundWorks = true;
      expect(await retryStuckSaga(fixture.db, sagaId, { operator: 'ops-1', reason: 'card scheme back', nowMs: clock.nowMs() })).toBe(
        'retried',
      );
      expect((await readSagaInstance(fixture.db, sagaId))!.status).toBe('COMPENSATING');
      expect(await advance(0)).toBe(1);
      const instance = await settled(sagaId, 'COMPENSATED');
      expect(commandsOf(sagaId)).toEqual(['RESERVE#1', 'CHARGE#1', 'SHIP#1', 'REFUND#1', 'REFUND#2', 'REFUND#3', 'REFUND#1', 'RELEASE#1']);
      expect(instance.compensations).toMatchObject([
        { name: 'REFUND', outcome: 'SUCCEEDED', attempts: 4, reason: null },
        { name: 'RELEASE', outcome: 'SUCCEEDED', attempts: 1 },
      ]);
      const retried = await fixture.db.query<{ name: string; detail: string }>(
        `select name, detail from saga_history where saga_id = $1 and event_type = 'CompensationRetried'`,
        [sagaId],
      );
      expect(retried.rows).toEqual([{ name: 'REFUND', detail: 'by ops-1: card scheme back' }]);
    });

    // Last: from here on the worker fires what is due, so the counts of `advance` above would race it.
    it('fires deadlines with the timer worker as the clock passes them', async () => {
      const sagaId = uniqueSagaId('worker');
      behaviours.set(sagaId, (command) => (command.name === 'RESERVE' && command.attempt === 1 ? 'silent' : 'ok'));
      const errors: unknown[] = [];
      await orchestrator.startTimers((error) => errors.push(error));
      await orchestrator.start(sagaId, {});
      await eventually(() => commandsOf(sagaId).includes('RESERVE#1'), 'the first RESERVE', 90_000);
      clock.advance(1_000);
      const instance = await settled(sagaId, 'COMPLETED');
      expect(commandsOf(sagaId)).toEqual(['RESERVE#1', 'RESERVE#2', 'CHARGE#1', 'SHIP#1']);
      expect(instance.steps[0]).toMatchObject({ name: 'RESERVE', outcome: 'SUCCEEDED', attempts: 2 });
      expect(errors).toEqual([]);
    });
  });
}

function uniqueSagaId(name: string): string {
  return `${name}-${Math.random().toString(36).slice(2, 10)}`;
}

async function counterValue(
  counter: { get(): Promise<{ values: { labels: object; value: number }[] }> },
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await counter.get();
  return (
    values.find((value) => Object.entries(labels).every(([key, label]) => (value.labels as Record<string, unknown>)[key] === label))
      ?.value ?? 0
  );
}
