import { describe, expect, it } from 'vitest';
import { decisionSpec } from '../../../test/support/decision-spec.ts';
import { commandIdOf, decideSaga, evolveSaga, type SagaDefinition, type SagaEvent, type SagaState } from './definition.ts';

// A three-step example: reserve, charge, ship; shipping has nothing to undo.
const definition: SagaDefinition = {
  type: 'example',
  steps: [
    { name: 'RESERVE', commandTopic: 'stock.commands', compensation: 'RELEASE' },
    { name: 'CHARGE', commandTopic: 'billing.commands', compensation: 'REFUND' },
    { name: 'SHIP', commandTopic: 'shipping.commands' },
  ],
  stepTimeoutMs: 1_000,
  maxAttempts: 3,
  compensation: { maxAttempts: 3, retryDelayMs: 500, timeoutMs: 2_000 },
};
const saga = decisionSpec({
  initialState: (): SagaState | undefined => undefined,
  evolve: evolveSaga,
  decide: (state: SagaState | undefined, input: Parameters<typeof decideSaga>[2]) => decideSaga(definition, state, input),
});
const sagaId = 's-1';
const data = { amountMinor: 1250n };
const started: SagaEvent = { type: 'SagaStarted', sagaId, data };
const step = (index: number) => commandIdOf(sagaId, index, 'step');
const compensation = (index: number) => commandIdOf(sagaId, index, 'compensation');
const upToShipping: SagaEvent[] = [
  started,
  { type: 'StepSent', step: 0, attempt: 1 },
  { type: 'StepSucceeded', step: 0 },
  { type: 'StepSent', step: 1, attempt: 1 },
  { type: 'StepSucceeded', step: 1 },
  { type: 'StepSent', step: 2, attempt: 1 },
];

describe('decideSaga', () => {
  it('starts by sending the first step with its deadline', () => {
    saga
      .given([])
      .when({ kind: 'start', sagaId, data })
      .then({
        events: [started, { type: 'StepSent', step: 0, attempt: 1 }],
        commands: [
          { topic: 'stock.commands', commandId: step(0), sagaId, sagaType: 'example', name: 'RESERVE', kind: 'step', attempt: 1, data },
        ],
        timer: { commandId: step(0), attempt: 1, dueInMs: 1_000 },
        outcome: 'continue',
      });
  });

  it('ignores a second start of the same instance', () => {
    saga.given([started]).when({ kind: 'start', sagaId, data }).thenMatches({ outcome: 'ignored', events: [], commands: [] });
  });

  it('sends the next step when a step succeeds, and completes after the last', () => {
    saga
      .given([started, { type: 'StepSent', step: 0, attempt: 1 }])
      .when({ kind: 'reply', commandId: step(0), ok: true })
      .thenMatches({
        events: [
          { type: 'StepSucceeded', step: 0 },
          { type: 'StepSent', step: 1, attempt: 1 },
        ],
        outcome: 'continue',
      });
    saga
      .given(upToShipping)
      .when({ kind: 'reply', commandId: step(2), ok: true })
      .then({ events: [{ type: 'StepSucceeded', step: 2 }, { type: 'SagaCompleted' }], commands: [], timer: null, outcome: 'completed' });
  });

  it('compensates the completed steps, last first, when step 3 fails', () => {
    saga
      .given(upToShipping)
      .when({ kind: 'reply', commandId: step(2), ok: false, reason: 'no carrier' })
      .thenMatches({
        events: [
          { type: 'StepFailed', step: 2, reason: 'no carrier' },
          { type: 'CompensationSent', step: 1, attempt: 1 },
        ],
        commands: [
          {
            topic: 'billing.commands',
            commandId: compensation(1),
            sagaId,
            sagaType: 'example',
            name: 'REFUND',
            kind: 'compensation',
            attempt: 1,
            data,
          },
        ],
        outcome: 'failed-start-compensating',
      });
    const refunding: SagaEvent[] = [
      ...upToShipping,
      { type: 'StepFailed', step: 2, reason: 'no carrier' },
      { type: 'CompensationSent', step: 1, attempt: 1 },
    ];
    saga
      .given(refunding)
      .when({ kind: 'reply', commandId: compensation(1), ok: true })
      .thenMatches({
        events: [
          { type: 'CompensationSucceeded', step: 1 },
          { type: 'CompensationSent', step: 0, attempt: 1 },
        ],
        commands: [expect.objectContaining({ name: 'RELEASE' })],
      });
    saga
      .given([...refunding, { type: 'CompensationSucceeded', step: 1 }, { type: 'CompensationSent', step: 0, attempt: 1 }])
      .when({ kind: 'reply', commandId: compensation(0), ok: true })
      .then({
        events: [{ type: 'CompensationSucceeded', step: 0 }, { type: 'SagaCompensated' }],
        commands: [],
        timer: null,
        outcome: 'compensated',
      });
  });

  it('ignores a duplicate reply, a reply to an earlier step and a stale timer', () => {
    const charging: SagaEvent[] = [
      started,
      { type: 'StepSent', step: 0, attempt: 1 },
      { type: 'StepSucceeded', step: 0 },
      { type: 'StepSent', step: 1, attempt: 1 },
    ];
    saga
      .given(charging)
      .when({ kind: 'reply', commandId: step(0), ok: true })
      .thenMatches({ outcome: 'ignored', events: [] });
    saga
      .given(charging)
      .when({ kind: 'reply', commandId: step(2), ok: true })
      .thenMatches({ outcome: 'ignored', events: [] });
    saga
      .given(charging)
      .when({ kind: 'timer', commandId: step(0), attempt: 1 })
      .thenMatches({ outcome: 'ignored', events: [] });
    saga
      .given([...charging, { type: 'StepTimedOut', step: 1, attempt: 1 }, { type: 'StepSent', step: 1, attempt: 2 }])
      .when({ kind: 'timer', commandId: step(1), attempt: 1 })
      .thenMatches({ outcome: 'ignored' });
  });

  it("arms a step's own deadline where it has one, doubled on each re-send like the definition's", () => {
    const waitsForAPerson: SagaDefinition = {
      ...definition,
      steps: definition.steps.map((step, index) => (index === 1 ? { ...step, timeoutMs: 86_400_000 } : step)),
    };
    const reserved: SagaEvent[] = [started, { type: 'StepSent', step: 0, attempt: 1 }];
    const decision = decideSaga(waitsForAPerson, reserved.reduce<SagaState | undefined>(evolveSaga, undefined), {
      kind: 'reply',
      commandId: step(0),
      ok: true,
    });
    expect(decision.timer).toEqual({ commandId: step(1), attempt: 1, dueInMs: 86_400_000 });
    const charging = [...reserved, { type: 'StepSucceeded', step: 0 } as const, { type: 'StepSent', step: 1, attempt: 1 } as const];
    const resent = decideSaga(waitsForAPerson, charging.reduce<SagaState | undefined>(evolveSaga, undefined), {
      kind: 'timer',
      commandId: step(1),
      attempt: 1,
    });
    expect(resent.timer).toEqual({ commandId: step(1), attempt: 2, dueInMs: 172_800_000 });
  });

  it('sends a step that timed out again with the same command id and a doubled deadline, then fails and compensates it too', () => {
    const reserving: SagaEvent[] = [started, { type: 'StepSent', step: 0, attempt: 1 }];
    saga
      .given(reserving)
      .when({ kind: 'timer', commandId: step(0), attempt: 1 })
      .thenMatches({
        events: [
          { type: 'StepTimedOut', step: 0, attempt: 1 },
          { type: 'StepSent', step: 0, attempt: 2 },
        ],
        commands: [expect.objectContaining({ commandId: step(0), attempt: 2 })],
        timer: { commandId: step(0), attempt: 2, dueInMs: 2_000 },
      });
    saga
      .given([
        ...reserving,
        { type: 'StepTimedOut', step: 0, attempt: 1 },
        { type: 'StepSent', step: 0, attempt: 2 },
        { type: 'StepTimedOut', step: 0, attempt: 2 },
        { type: 'StepSent', step: 0, attempt: 3 },
      ])
      .when({ kind: 'timer', commandId: step(0), attempt: 3 })
      .thenMatches({
        events: [
          { type: 'StepTimedOut', step: 0, attempt: 3 },
          { type: 'StepFailed', step: 0, reason: 'no reply after 3 attempts' },
          { type: 'CompensationSent', step: 0, attempt: 1 },
        ],
        commands: [expect.objectContaining({ name: 'RELEASE', commandId: compensation(0) })],
        outcome: 'failed-start-compensating',
      });
  });

  it('retries a failing compensation after a growing pause, and stops STUCK on it after its last attempt', () => {
    const releasing: SagaEvent[] = [
      started,
      { type: 'StepSent', step: 0, attempt: 1 },
      { type: 'StepSucceeded', step: 0 },
      { type: 'StepSent', step: 1, attempt: 1 },
      { type: 'StepFailed', step: 1, reason: 'declined' },
      { type: 'CompensationSent', step: 0, attempt: 1 },
    ];
    saga
      .given(releasing)
      .when({ kind: 'reply', commandId: compensation(0), ok: false, reason: 'locked' })
      .then({
        events: [{ type: 'CompensationFailed', step: 0, attempt: 1, reason: 'locked' }],
        commands: [],
        timer: { commandId: compensation(0), attempt: 1, dueInMs: 500 },
        outcome: 'continue',
      });
    const waiting: SagaEvent[] = [...releasing, { type: 'CompensationFailed', step: 0, attempt: 1, reason: 'locked' }];
    saga
      .given(waiting)
      .when({ kind: 'reply', commandId: compensation(0), ok: false, reason: 'locked' })
      .thenMatches({ outcome: 'ignored' });
    saga
      .given(waiting)
      .when({ kind: 'timer', commandId: compensation(0), attempt: 1 })
      .thenMatches({
        events: [{ type: 'CompensationSent', step: 0, attempt: 2 }],
        commands: [expect.objectContaining({ commandId: compensation(0), attempt: 2 })],
      });
    saga
      .given([
        ...waiting,
        { type: 'CompensationSent', step: 0, attempt: 2 },
        { type: 'CompensationFailed', step: 0, attempt: 2, reason: 'locked' },
        { type: 'CompensationSent', step: 0, attempt: 3 },
      ])
      .when({ kind: 'timer', commandId: compensation(0), attempt: 3 })
      .then({
        events: [
          { type: 'CompensationFailed', step: 0, attempt: 3, reason: 'no reply' },
          { type: 'SagaStuck', step: 0, reason: 'compensation failed 3 times: no reply' },
        ],
        commands: [],
        timer: null,
        outcome: 'stuck',
      });
  });

  it("sends a STUCK instance's compensation again when an operator retries it, as a fresh series of attempts", () => {
    const stuck: SagaEvent[] = [
      started,
      { type: 'StepSent', step: 0, attempt: 1 },
      { type: 'StepSucceeded', step: 0 },
      { type: 'StepSent', step: 1, attempt: 1 },
      { type: 'StepFailed', step: 1, reason: 'declined' },
      { type: 'CompensationSent', step: 0, attempt: 1 },
      { type: 'CompensationFailed', step: 0, attempt: 1, reason: 'locked' },
      { type: 'SagaStuck', step: 0, reason: 'compensation failed 1 times: locked' },
    ];
    saga
      .given(stuck)
      .when({ kind: 'reply', commandId: compensation(0), ok: true })
      .thenMatches({ outcome: 'ignored' });
    const retried: SagaEvent[] = [...stuck, { type: 'CompensationRetried', step: 0, reason: 'by ops-1: lock released' }];
    expect(retried.reduce<SagaState | undefined>(evolveSaga, undefined)).toMatchObject({ status: 'COMPENSATING', attempt: 0 });
    saga
      .given(retried)
      .when({ kind: 'timer', commandId: compensation(0), attempt: 0 })
      .then({
        events: [{ type: 'CompensationSent', step: 0, attempt: 1 }],
        commands: [expect.objectContaining({ name: 'RELEASE', commandId: compensation(0), attempt: 1 })],
        timer: { commandId: compensation(0), attempt: 1, dueInMs: 2_000 },
        outcome: 'continue',
      });
    saga
      .given([...retried, { type: 'CompensationSent', step: 0, attempt: 1 }])
      .when({ kind: 'reply', commandId: compensation(0), ok: true })
      .thenMatches({ events: [{ type: 'CompensationSucceeded', step: 0 }, { type: 'SagaCompensated' }], outcome: 'compensated' });
  });

  it("keeps sending a pivot step that stays silent (onSilence keep-sending), its deadline capped at the last attempt's", () => {
    const pivot: SagaDefinition = {
      ...definition,
      steps: definition.steps.map((step, index) => (index === 2 ? { ...step, onSilence: 'keep-sending' } : step)),
    };
    const shipping = [...upToShipping];
    for (let attempt = 1; attempt < 3; attempt++)
      shipping.push({ type: 'StepTimedOut', step: 2, attempt }, { type: 'StepSent', step: 2, attempt: attempt + 1 });
    const state = shipping.reduce<SagaState | undefined>(evolveSaga, undefined);
    const resent = decideSaga(pivot, state, { kind: 'timer', commandId: step(2), attempt: 3 });
    expect(resent).toMatchObject({
      events: [
        { type: 'StepTimedOut', step: 2, attempt: 3 },
        { type: 'StepSent', step: 2, attempt: 4 },
      ],
      commands: [expect.objectContaining({ commandId: step(2), attempt: 4 })],
      timer: { commandId: step(2), attempt: 4, dueInMs: 4_000 },
      outcome: 'continue',
    });
    const refused = decideSaga(pivot, resent.events.reduce(evolveSaga, state!), {
      kind: 'reply',
      commandId: step(2),
      ok: false,
      reason: 'closed',
    });
    expect(refused).toMatchObject({
      events: [
        { type: 'StepFailed', step: 2, reason: 'closed' },
        { type: 'CompensationSent', step: 1 },
      ],
    });
    // Without it, the same silence fails the step and compensates it with the ones before.
    expect(decideSaga(definition, state, { kind: 'timer', commandId: step(2), attempt: 3 }).outcome).toBe('failed-start-compensating');
  });

  it('ends compensated at once when the first step fails (nothing completed to undo)', () => {
    saga
      .given([started, { type: 'StepSent', step: 0, attempt: 1 }])
      .when({ kind: 'reply', commandId: step(0), ok: false, reason: 'out of stock' })
      .then({
        events: [{ type: 'StepFailed', step: 0, reason: 'out of stock' }, { type: 'SagaCompensated' }],
        commands: [],
        timer: null,
        outcome: 'failed-start-compensating',
      });
  });
});
