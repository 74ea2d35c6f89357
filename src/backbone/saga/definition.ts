/**
 * A saga's definition and its pure decision: what to do next from (state, input), and how each
 * recorded fact changes the state. No I/O here; the orchestrator persists the facts, sends the
 * commands through the outbox and arms the timers that `decideSaga` asks for.
 *
 * A saga is a sequence of steps, each a command to one participant (a command topic) answered by a
 * reply. Steps run one at a time. A step that does not answer before its deadline is sent again
 * with the same command id (the participant deduplicates on it), each deadline twice the previous
 * one (backoff), and after `maxAttempts` the step has failed. A failed step (a negative reply, or no
 * reply at all) starts the compensations: those of the completed steps, last first, each sent until
 * it succeeds; one that still fails after `compensation.maxAttempts` leaves the saga STUCK, for an
 * operator, and is never skipped.
 */

export interface SagaStep {
  /** The step's name in the history and the instance view, e.g. `KYC_CHECK`. */
  name: string;
  /** The participant's command topic. */
  commandTopic: string;
  /** The compensation's name, sent to the same topic; absent when the step has nothing to undo. */
  compensation?: string;
  /**
   * This step's first deadline, when it differs from the definition's `stepTimeoutMs` (e.g. a step
   * that waits for a person's decision); re-sends double it likewise.
   */
  timeoutMs?: number;
  /**
   * What silence after the last attempt means. `fail` (default): the step has failed and is
   * compensated with the steps before it. `keep-sending`: the step is a pivot, past which the saga
   * only goes forward (a loan paid out cannot be taken back by a release), so it is sent again, the
   * deadline staying at the last attempt's, until the participant answers; a refusal still
   * compensates. Its timeouts keep counting in the metrics for an operator to see.
   */
  onSilence?: 'fail' | 'keep-sending';
}

export interface SagaDefinition {
  /** The saga's type, e.g. `loan-approval`; the instances table and the metrics carry it. */
  type: string;
  steps: readonly SagaStep[];
  /** How long a step waits for its first reply; every re-send waits twice as long as the one before. */
  stepTimeoutMs: number;
  /** Sends of one step before it has failed (1 = no retry). */
  maxAttempts: number;
  compensation: {
    /** Sends of one compensation before the saga is STUCK. */
    maxAttempts: number;
    /** Pause before a compensation is sent again after a negative reply or no reply; doubles each time. */
    retryDelayMs: number;
    /** How long a compensation waits for its reply. */
    timeoutMs: number;
  };
}

export type SagaStatus = 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'COMPENSATED' | 'STUCK';

export interface SagaState {
  sagaId: string;
  status: SagaStatus;
  /** The saga's input, handed to every command. JSON with exact bigints. */
  data: unknown;
  /** The step being run, or, while compensating, the step whose compensation is being run. */
  stepIndex: number;
  /** Sends of the current command so far. */
  attempt: number;
  /** `reply`: a command is out and its deadline armed; `backoff`: a compensation waits to be sent again. */
  waiting: 'reply' | 'backoff' | 'nothing';
}

/** What the orchestrator hands to `decideSaga`. */
export type SagaInput =
  | { kind: 'start'; sagaId: string; data: unknown }
  | { kind: 'reply'; commandId: string; ok: boolean; reason?: string }
  /** A timer fired; `commandId` and `attempt` say which send it was armed for (a stale timer changes nothing). */
  | { kind: 'timer'; commandId: string; attempt: number };

/** The facts of a saga's history; `evolveSaga` folds them into its state. */
export type SagaEvent =
  | { type: 'SagaStarted'; sagaId: string; data: unknown }
  | { type: 'StepSent'; step: number; attempt: number }
  | { type: 'StepSucceeded'; step: number }
  | { type: 'StepTimedOut'; step: number; attempt: number }
  | { type: 'StepFailed'; step: number; reason: string }
  | { type: 'SagaCompleted' }
  | { type: 'CompensationSent'; step: number; attempt: number }
  | { type: 'CompensationSucceeded'; step: number }
  | { type: 'CompensationFailed'; step: number; attempt: number; reason: string }
  | { type: 'SagaCompensated' }
  | { type: 'SagaStuck'; step: number; reason: string }
  /** An operator retries a STUCK instance's compensation (`reason` says who and why): sent again at the end of a zero backoff. */
  | { type: 'CompensationRetried'; step: number; reason: string };

/** A command to a participant. Its id is the same on every send of the same step or compensation. */
export interface SagaCommand {
  topic: string;
  commandId: string;
  sagaId: string;
  sagaType: string;
  /** The step's name, or its compensation's name. */
  name: string;
  kind: 'step' | 'compensation';
  attempt: number;
  data: unknown;
}

export type SagaOutcome = 'continue' | 'completed' | 'failed-start-compensating' | 'compensated' | 'stuck' | 'ignored';

export interface SagaDecision {
  events: SagaEvent[];
  commands: SagaCommand[];
  /** The timer to arm (replacing any other of the instance), or null to disarm. */
  timer: { commandId: string; attempt: number; dueInMs: number } | null;
  outcome: SagaOutcome;
}

/** The command id of a step or compensation: derived, so that every send of it carries the same. */
export function commandIdOf(sagaId: string, step: number, kind: 'step' | 'compensation'): string {
  return `${sagaId}/${kind}/${step}`;
}

/** Folds one fact into the state (the state is undefined before `SagaStarted`). */
export function evolveSaga(state: SagaState | undefined, event: SagaEvent): SagaState {
  if (event.type === 'SagaStarted')
    return { sagaId: event.sagaId, status: 'RUNNING', data: event.data, stepIndex: 0, attempt: 0, waiting: 'nothing' };
  if (!state) throw new TypeError(`saga event ${event.type} before SagaStarted`);
  switch (event.type) {
    case 'StepSent':
      return { ...state, stepIndex: event.step, attempt: event.attempt, waiting: 'reply' };
    case 'StepSucceeded':
    case 'StepTimedOut':
      return { ...state, waiting: 'nothing' };
    case 'StepFailed':
      return { ...state, status: 'COMPENSATING', waiting: 'nothing' };
    case 'SagaCompleted':
      return { ...state, status: 'COMPLETED', waiting: 'nothing' };
    case 'CompensationSent':
      return { ...state, status: 'COMPENSATING', stepIndex: event.step, attempt: event.attempt, waiting: 'reply' };
    case 'CompensationSucceeded':
      return { ...state, waiting: 'nothing' };
    case 'CompensationFailed':
      return { ...state, waiting: 'backoff' };
    case 'SagaCompensated':
      return { ...state, status: 'COMPENSATED', waiting: 'nothing' };
    case 'SagaStuck':
      return { ...state, status: 'STUCK', waiting: 'nothing' };
    case 'CompensationRetried':
      // A fresh series of attempts: the timer armed with it (attempt 0) sends attempt 1.
      return { ...state, status: 'COMPENSATING', attempt: 0, waiting: 'backoff' };
  }
}

/**
 * The saga's next move. Replies and timers that do not concern the command the saga waits for (a
 * duplicate, a reply to an earlier step, a timer armed for an earlier send) are `ignored`: no
 * events, no commands, and the timer left as it is.
 */
export function decideSaga(definition: SagaDefinition, state: SagaState | undefined, input: SagaInput): SagaDecision {
  if (input.kind === 'start') {
    if (state) return ignored();
    const started: SagaEvent = { type: 'SagaStarted', sagaId: input.sagaId, data: input.data };
    return sendCommand(definition, evolveSaga(undefined, started), [started], 0, 1, 'step', 'continue');
  }
  if (!state || state.waiting === 'nothing') return ignored();
  const kind = state.status === 'RUNNING' ? 'step' : 'compensation';
  if (input.commandId !== commandIdOf(state.sagaId, state.stepIndex, kind)) return ignored();
  if (input.kind === 'timer' && input.attempt !== state.attempt) return ignored();
  return kind === 'step' ? decideStep(definition, state, input) : decideCompensation(definition, state, input);
}

function decideStep(definition: SagaDefinition, state: SagaState, input: Exclude<SagaInput, { kind: 'start' }>): SagaDecision {
  const step = state.stepIndex;
  if (input.kind === 'reply') {
    if (!input.ok) {
      const failed: SagaEvent = { type: 'StepFailed', step, reason: input.reason ?? 'the participant refused' };
      return startCompensating(definition, state, [failed], step - 1);
    }
    const succeeded: SagaEvent = { type: 'StepSucceeded', step };
    if (step + 1 < definition.steps.length) return sendCommand(definition, state, [succeeded], step + 1, 1, 'step', 'continue');
    return { events: [succeeded, { type: 'SagaCompleted' }], commands: [], timer: null, outcome: 'completed' };
  }
  const timedOut: SagaEvent = { type: 'StepTimedOut', step, attempt: state.attempt };
  if (state.attempt < definition.maxAttempts) {
    return sendCommand(definition, state, [timedOut], step, state.attempt + 1, 'step', 'continue');
  }
  if (definition.steps[step]!.onSilence === 'keep-sending') {
    return sendCommand(definition, state, [timedOut], step, state.attempt + 1, 'step', 'continue');
  }
  // No answer at all: the participant may have acted on one of the sends, so this step is
  // compensated too (a compensation must accept a command it never saw).
  const failed: SagaEvent = { type: 'StepFailed', step, reason: `no reply after ${state.attempt} attempts` };
  return startCompensating(definition, state, [timedOut, failed], step);
}

function decideCompensation(definition: SagaDefinition, state: SagaState, input: Exclude<SagaInput, { kind: 'start' }>): SagaDecision {
  const step = state.stepIndex;
  const commandId = commandIdOf(state.sagaId, step, 'compensation');
  if (state.waiting === 'backoff') {
    // Only the backoff timer sends again; a late positive reply to the failed send still counts.
    if (input.kind === 'timer') return sendCommand(definition, state, [], step, state.attempt + 1, 'compensation', 'continue');
    if (!input.ok) return ignored();
  }
  if (input.kind === 'reply' && input.ok) {
    return compensateFrom(definition, state, [{ type: 'CompensationSucceeded', step }], step - 1, 'continue');
  }
  const reason = input.kind === 'reply' ? (input.reason ?? 'the participant refused') : 'no reply';
  const failed: SagaEvent = { type: 'CompensationFailed', step, attempt: state.attempt, reason };
  if (state.attempt >= definition.compensation.maxAttempts) {
    return {
      events: [failed, { type: 'SagaStuck', step, reason: `compensation failed ${state.attempt} times: ${reason}` }],
      commands: [],
      timer: null,
      outcome: 'stuck',
    };
  }
  const dueInMs = definition.compensation.retryDelayMs * 2 ** (state.attempt - 1);
  return { events: [failed], commands: [], timer: { commandId, attempt: state.attempt, dueInMs }, outcome: 'continue' };
}

function startCompensating(definition: SagaDefinition, state: SagaState, events: SagaEvent[], from: number): SagaDecision {
  return compensateFrom(definition, state, events, from, 'failed-start-compensating');
}

/** Sends the compensation of the latest step at or before `from` that has one, or ends the saga compensated. */
function compensateFrom(
  definition: SagaDefinition,
  state: SagaState,
  events: SagaEvent[],
  from: number,
  outcome: SagaOutcome,
): SagaDecision {
  let step = from;
  while (step >= 0 && definition.steps[step]!.compensation === undefined) step -= 1;
  if (step < 0) {
    const ended: SagaEvent = { type: 'SagaCompensated' };
    return { events: [...events, ended], commands: [], timer: null, outcome: outcome === 'continue' ? 'compensated' : outcome };
  }
  return sendCommand(definition, state, events, step, 1, 'compensation', outcome);
}

function sendCommand(
  definition: SagaDefinition,
  state: SagaState,
  events: SagaEvent[],
  step: number,
  attempt: number,
  kind: 'step' | 'compensation',
  outcome: SagaOutcome,
): SagaDecision {
  const definitionStep = definition.steps[step]!;
  const commandId = commandIdOf(state.sagaId, step, kind);
  const name = kind === 'step' ? definitionStep.name : definitionStep.compensation!;
  const sent: SagaEvent = kind === 'step' ? { type: 'StepSent', step, attempt } : { type: 'CompensationSent', step, attempt };
  // Doubling per re-send, up to the last attempt's (a step that keeps sending waits no longer than that).
  const doublings = Math.min(attempt, definition.maxAttempts) - 1;
  const timeoutMs =
    kind === 'step' ? (definitionStep.timeoutMs ?? definition.stepTimeoutMs) * 2 ** doublings : definition.compensation.timeoutMs;
  return {
    events: [...events, sent],
    commands: [
      {
        topic: definitionStep.commandTopic,
        commandId,
        sagaId: state.sagaId,
        sagaType: definition.type,
        name,
        kind,
        attempt,
        data: state.data,
      },
    ],
    timer: { commandId, attempt, dueInMs: timeoutMs },
    outcome,
  };
}

function ignored(): SagaDecision {
  return { events: [], commands: [], timer: null, outcome: 'ignored' };
}
