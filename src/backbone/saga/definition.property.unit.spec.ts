import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideSaga,
  evolveSaga,
  type SagaCommand,
  type SagaDefinition,
  type SagaEvent,
  type SagaInput,
  type SagaState,
} from './definition.ts';

/**
 * The saga's decision against a world that misbehaves: participants that refuse, answer twice or
 * not at all (the command lost, or only its reply), replies and timers delivered in any order. The
 * world is driven by fast-check's choices; the orchestrator's part is `decideSaga`/`evolveSaga`
 * exactly as `SagaOrchestrator` applies them (a timer replaced or disarmed by each decision that is
 * not ignored, a stale timer dropped). Whatever happens, the saga ends, and how it ends agrees with
 * what the participants did.
 */
const definition: SagaDefinition = {
  type: 'property',
  steps: [
    { name: 'RESERVE', commandTopic: 'stock', compensation: 'RELEASE' },
    { name: 'SCORE', commandTopic: 'scoring' },
    { name: 'CHARGE', commandTopic: 'billing', compensation: 'REFUND' },
    { name: 'SHIP', commandTopic: 'shipping', compensation: 'RECALL' },
  ],
  stepTimeoutMs: 1_000,
  maxAttempts: 3,
  compensation: { maxAttempts: 4, retryDelayMs: 100, timeoutMs: 1_000 },
};
const sagaId = 'p-1';

/** What a participant does with one send of a command. */
type Send = 'ok' | 'refuse' | 'lost-command' | 'lost-reply' | 'reply-twice';

interface World {
  /** Replies in flight: delivered in any order the choices pick. */
  replies: SagaInput[];
  timer: { commandId: string; attempt: number } | null;
  /** The participants' records, per command id: done (effect applied) or refused, decided at the first send that arrives. */
  outcomes: Map<string, 'done' | 'refused'>;
  /** Effects applied, in order: `DO <step>` or `UNDO <step>`. */
  effects: string[];
}

describe('decideSaga against participants that refuse, answer twice or not at all, in any order', () => {
  it('ends every saga, and undoes exactly the steps that took effect, last first, each once', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 400, maxLength: 400 }), (choices) => {
        let next = 0;
        const pick = (n: number) => choices[next++ % choices.length]! % n;
        const world: World = { replies: [], timer: null, outcomes: new Map(), effects: [] };
        let state: SagaState | undefined;
        const apply = (input: SagaInput) => {
          const decision = decideSaga(definition, state, input);
          if (decision.outcome === 'ignored') {
            if (input.kind === 'timer') world.timer = null; // the orchestrator deletes a timer nobody waits for
            return;
          }
          state = decision.events.reduce<SagaState | undefined>(evolveSaga, state);
          history.push(...decision.events);
          world.timer = decision.timer && { commandId: decision.timer.commandId, attempt: decision.timer.attempt };
          for (const command of decision.commands) deliver(command);
        };
        const history: SagaEvent[] = [];
        const deliver = (command: SagaCommand) => {
          const sends: Send[] = ['ok', 'refuse', 'lost-command', 'lost-reply', 'reply-twice'];
          // Compensations may fail for a while, never for good: a participant must accept an undo.
          const send = sends[pick(sends.length)]!;
          if (send === 'lost-command') return;
          let outcome = world.outcomes.get(command.commandId);
          if (outcome === undefined || (command.kind === 'compensation' && outcome === 'refused')) {
            outcome = send === 'refuse' ? 'refused' : 'done';
            world.outcomes.set(command.commandId, outcome);
            // An undo of a command the participant never carried out succeeds and changes nothing.
            const stepId = command.commandId.replace('/compensation/', '/step/');
            if (outcome === 'done' && command.kind === 'step') world.effects.push(`DO ${command.name}`);
            if (outcome === 'done' && command.kind === 'compensation' && world.outcomes.get(stepId) === 'done')
              world.effects.push(`UNDO ${command.name}`);
          }
          if (send === 'lost-reply') return;
          const reply: SagaInput = { kind: 'reply', commandId: command.commandId, ok: outcome === 'done', reason: 'refused' };
          world.replies.push(reply);
          if (send === 'reply-twice') world.replies.push(reply);
        };

        apply({ kind: 'start', sagaId, data: {} });
        for (let round = 0; round < 2_000 && (world.replies.length > 0 || world.timer); round++) {
          // Any reply in flight, or the timer when its turn comes (or when nothing else is left).
          const index = pick(world.replies.length + 1);
          if (index < world.replies.length) apply(world.replies.splice(index, 1)[0]!);
          else if (world.timer) apply({ kind: 'timer', ...world.timer });
        }

        expect(world.replies).toEqual([]);
        expect(world.timer).toBeNull();
        expect(['COMPLETED', 'COMPENSATED', 'STUCK']).toContain(state!.status);
        const ends = history.filter((event) => ['SagaCompleted', 'SagaCompensated', 'SagaStuck'].includes(event.type));
        expect(ends).toHaveLength(1);
        const done = world.effects.filter((effect) => effect.startsWith('DO ')).map((effect) => effect.slice(3));
        const undone = world.effects.filter((effect) => effect.startsWith('UNDO ')).map((effect) => effect.slice(5));
        if (state!.status === 'COMPLETED') {
          expect(done).toEqual(definition.steps.map((step) => step.name));
          expect(undone).toEqual([]);
        } else if (state!.status === 'COMPENSATED') {
          // Every step that took effect and has something to undo was undone, last first, once.
          const expected = definition.steps
            .filter((step) => step.compensation !== undefined && done.includes(step.name))
            .map((step) => step.compensation!)
            .reverse();
          expect(undone).toEqual(expected);
        } else {
          // STUCK on a compensation: those after it in the reverse order never ran; those before it
          // (of later steps) all did; it may have taken effect itself with its replies lost.
          const stuck = history.find((event) => event.type === 'SagaStuck');
          const stuckStep = stuck && 'step' in stuck ? stuck.step : -1;
          const undoneLater = definition.steps
            .filter((step, index) => index > stuckStep && step.compensation !== undefined && done.includes(step.name))
            .map((step) => step.compensation!)
            .reverse();
          expect([undoneLater, [...undoneLater, definition.steps[stuckStep]!.compensation!]]).toContainEqual(undone);
        }
        // No compensation succeeded twice, and none was sent again after it succeeded.
        const compensated = history
          .filter((event) => event.type === 'CompensationSucceeded')
          .map((event) => ('step' in event ? event.step : -1));
        expect(new Set(compensated).size).toBe(compensated.length);
        for (const step of compensated) {
          const succeededAt = history.findIndex(
            (event) => event.type === 'CompensationSucceeded' && 'step' in event && event.step === step,
          );
          expect(history.slice(succeededAt + 1).some((event) => event.type === 'CompensationSent' && event.step === step)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
