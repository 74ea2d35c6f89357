import { describe, expect, it } from 'vitest';
import {
  commandIdOf,
  decideSaga,
  evolveSaga,
  sagaStateDiagram,
  type SagaDecision,
  type SagaInput,
  type SagaState,
} from '../../backbone/saga/index.ts';
import { LoanTopics } from '../../contracts/loans.ts';
import { resolveLoansOptions } from './options.ts';
import { loanApprovalSaga, loanStepMaxAttempts } from './saga.ts';

const day = 86_400_000;
const definition = loanApprovalSaga(
  resolveLoansOptions({ requireScope: () => async () => {}, screenApplicant: () => never(), kycDecisionDeadlineMs: 7 * day }),
);
const sagaId = 'saga-1';
const data = { applicationId: 'a-1', account: 'DE89370400440532013000', amountMinor: 500_000n, currency: 'EUR' };

/** Runs inputs through the definition, folding each decision's facts; returns every decision. */
function run(inputs: readonly ((state: SagaState | undefined) => SagaInput)[]): {
  state: SagaState | undefined;
  decisions: SagaDecision[];
} {
  let state: SagaState | undefined;
  const decisions: SagaDecision[] = [];
  for (const input of inputs) {
    const decision = decideSaga(definition, state, input(state));
    decisions.push(decision);
    state = decision.events.reduce<SagaState | undefined>(evolveSaga, state);
  }
  return { state, decisions };
}

const start = () => ({ kind: 'start', sagaId, data }) as const;
const step = (index: number, ok: boolean, reason?: string) => () =>
  ({ kind: 'reply', commandId: commandIdOf(sagaId, index, 'step'), ok, ...(reason ? { reason } : {}) }) as const;
const compensation = (index: number) => () => ({ kind: 'reply', commandId: commandIdOf(sagaId, index, 'compensation'), ok: true }) as const;
const timer = (state: SagaState | undefined) =>
  ({
    kind: 'timer',
    commandId: commandIdOf(sagaId, state!.stepIndex, state!.status === 'RUNNING' ? 'step' : 'compensation'),
    attempt: state!.attempt,
  }) as const;
const sent = (decisions: SagaDecision[]) =>
  decisions.flatMap((decision) => decision.commands.map((command) => [command.name, command.topic]));

describe('the loan approval saga', () => {
  it('runs START → KYC_CHECK → CREDIT_SCORE → RISK_ASSESSMENT → APPROVED, each to its participant', () => {
    const { state, decisions } = run([start, step(0, true), step(1, true), step(2, true), step(3, true), step(4, true)]);
    expect(sent(decisions)).toEqual([
      ['START', LoanTopics.ledgerCommands],
      ['KYC_CHECK', LoanTopics.loanCommands],
      ['CREDIT_SCORE', LoanTopics.loanCommands],
      ['RISK_ASSESSMENT', LoanTopics.loanCommands],
      ['APPROVED', LoanTopics.ledgerCommands],
    ]);
    expect(state?.status).toBe('COMPLETED');
  });

  it('refused at KYC_CHECK or CREDIT_SCORE: RELEASE_RESERVATIONS only, then rejected', () => {
    for (const failing of [1, 2]) {
      const replies = [
        start,
        ...Array.from({ length: failing }, (_, index) => step(index, true)),
        step(failing, false, 'no'),
        compensation(0),
      ];
      const { state, decisions } = run(replies);
      expect(sent(decisions).slice(failing + 1)).toEqual([['RELEASE_RESERVATIONS', LoanTopics.ledgerCommands]]);
      expect(state?.status).toBe('COMPENSATED');
    }
  });

  it('refused at RISK_ASSESSMENT: its own exposure was never recorded, so RELEASE_RESERVATIONS only', () => {
    const { decisions } = run([start, step(0, true), step(1, true), step(2, true), step(3, false, 'limit')]);
    expect(sent(decisions).at(-1)).toEqual(['RELEASE_RESERVATIONS', LoanTopics.ledgerCommands]);
  });

  it('refused at APPROVED: REVERT_RISK, then RELEASE_RESERVATIONS, then rejected', () => {
    const { state, decisions } = run([
      start,
      step(0, true),
      step(1, true),
      step(2, true),
      step(3, true),
      step(4, false, 'closed'),
      compensation(3),
      compensation(0),
    ]);
    expect(sent(decisions).slice(5)).toEqual([
      ['REVERT_RISK', LoanTopics.loanCommands],
      ['RELEASE_RESERVATIONS', LoanTopics.ledgerCommands],
    ]);
    expect(state?.status).toBe('COMPENSATED');
  });

  it("gives KYC_CHECK deadlines that add up to the officer's deadline over its sends, then rejects", () => {
    const inputs = [start, step(0, true), ...Array.from({ length: loanStepMaxAttempts }, () => timer)];
    const { state, decisions } = run(inputs);
    const kycDeadlines = decisions
      .slice(1)
      .flatMap((decision) => (decision.timer && decision.commands[0]?.name === 'KYC_CHECK' ? [decision.timer.dueInMs] : []));
    expect(kycDeadlines).toHaveLength(loanStepMaxAttempts);
    expect(kycDeadlines.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(7 * day);
    expect(kycDeadlines.reduce((sum, ms) => sum + ms, 0)).toBeLessThan(7 * day + loanStepMaxAttempts * 4);
    expect(sent(decisions).at(-1)).toEqual(['RELEASE_RESERVATIONS', LoanTopics.ledgerCommands]);
    expect(state?.status).toBe('COMPENSATING');
  });

  it('gives the other steps the short deadline', () => {
    const { decisions } = run([start, step(0, true), step(1, true)]);
    expect(decisions[0]!.timer?.dueInMs).toBe(10_000);
    expect(decisions[2]!.timer?.dueInMs).toBe(10_000);
  });
});

function never(): never {
  throw new Error('not screened in this spec');
}

describe('docs/loans.md', () => {
  it('shows the state diagram written from the definition', async () => {
    const { readFile } = await import('node:fs/promises');
    const page = await readFile(new URL('../../../docs/loans.md', import.meta.url), 'utf8');
    const defaults = loanApprovalSaga(resolveLoansOptions({ requireScope: () => async () => {}, screenApplicant: () => never() }));
    expect(page).toContain(`\`\`\`mermaid\n${sagaStateDiagram(defaults, { compensated: 'APPLICATION_REJECTED' })}\n\`\`\``);
  });
});
