import { expect } from 'vitest';

/**
 * Given/when/then for the pure decisions of a service's `domain/` folder, in the shape of Emmett's
 * `DeciderSpecification`: a decision is a function of (state, input), and a spec names the state
 * it starts from, the input, and the decision it expects, or the error it expects thrown.
 *
 *   const reservation = decisionSpec((debtor: AccountState | undefined, order: Order) => decideReservation(debtor, ...));
 *   reservation.given(account({ balanceMinor: 100n })).when({ amountMinor: 101n }).then({ kind: 'refuse', ... });
 *
 * A decision whose state is a fold of facts (an `evolve`) takes the facts instead:
 *
 *   const spec = decisionSpec({ initialState: () => empty, evolve, decide });
 *   spec.given([opened, deposited(100n)]).when(order).then(decision);
 *
 * A failing spec says what it was given, the input, and how the decision differs (vitest's diff),
 * so its message reads as the scenario it broke.
 */
export function decisionSpec<State, Input, Decision>(
  decide: (state: State, input: Input) => Decision,
): DecisionSpec<State, Input, Decision>;
export function decisionSpec<State, Input, Decision, Fact>(
  decider: FoldingDecider<State, Input, Decision, Fact>,
): DecisionSpec<readonly Fact[], Input, Decision>;
export function decisionSpec<State, Input, Decision, Fact>(
  decider: ((state: State, input: Input) => Decision) | FoldingDecider<State, Input, Decision, Fact>,
): DecisionSpec<State, Input, Decision> | DecisionSpec<readonly Fact[], Input, Decision> {
  if (typeof decider === 'function') return specOf<State, State, Input, Decision>((state) => state, decider);
  return specOf<readonly Fact[], State, Input, Decision>((facts) => facts.reduce(decider.evolve, decider.initialState()), decider.decide);
}

/** A decision on a state folded from facts: `evolve` applies one fact, from `initialState()`. */
export interface FoldingDecider<State, Input, Decision, Fact> {
  initialState: () => State;
  evolve: (state: State, fact: Fact) => State;
  decide: (state: State, input: Input) => Decision;
}

export interface DecisionSpec<Given, Input, Decision> {
  given(given: Given): {
    when(input: Input): DecisionAssertions<Decision>;
  };
}

export interface DecisionAssertions<Decision> {
  /** The decision equals `expected` (deep equality; bigints compared exactly). */
  then(expected: Decision): void;
  /** The decision has at least the fields of `expected` (vitest's `toMatchObject`), e.g. only its reason code. */
  thenMatches(expected: Partial<Decision>): void;
  /** The decision passes `check` (for decisions with generated parts, e.g. ids). */
  thenSatisfies(check: (decision: Decision) => void): void;
  /**
   * Deciding throws: an error of class `errorClass` when given, whose message matches `message`
   * when given. A throw is for a programmer's error (a broken precondition), not a refusal.
   */
  thenThrows(errorClass?: abstract new (...args: never[]) => Error, message?: string | RegExp): void;
}

function specOf<Given, State, Input, Decision>(
  stateOf: (given: Given) => State,
  decide: (state: State, input: Input) => Decision,
): DecisionSpec<Given, Input, Decision> {
  return {
    given: (given) => ({
      when: (input) => {
        const scenario = `given ${describeValue(given)}\nwhen ${describeValue(input)}`;
        const decideNow = (): Decision => decide(stateOf(given), input);
        return {
          then(expected) {
            expect(decideOrFail(decideNow, scenario), `${scenario}\nthen the decision should be ${describeValue(expected)}`).toEqual(
              expected,
            );
          },
          thenMatches(expected) {
            expect(
              decideOrFail(decideNow, scenario),
              `${scenario}\nthen the decision should match ${describeValue(expected)}`,
            ).toMatchObject(expected as object);
          },
          thenSatisfies(check) {
            const decision = decideOrFail(decideNow, scenario);
            try {
              check(decision);
            } catch (error) {
              throw new Error(
                `${scenario}\nthe decision ${describeValue(decision)} does not pass the check: ${error instanceof Error ? error.message : String(error)}`,
                { cause: error },
              );
            }
          },
          thenThrows(errorClass, message) {
            let decision: Decision;
            try {
              decision = decideNow();
            } catch (error) {
              if (errorClass) expect(error, `${scenario}\nthen it should throw a ${errorClass.name}`).toBeInstanceOf(errorClass);
              if (message !== undefined) expect((error as Error).message, `${scenario}\nthen the error's message`).toMatch(message);
              return;
            }
            expect.fail(
              `${scenario}\nthen it should throw${errorClass ? ` a ${errorClass.name}` : ''}, but decided ${describeValue(decision)}`,
            );
          },
        };
      },
    }),
  };
}

/** The decision, or a failure that names the scenario when deciding threw unexpectedly. */
function decideOrFail<Decision>(decideNow: () => Decision, scenario: string): Decision {
  try {
    return decideNow();
  } catch (error) {
    throw new Error(
      `${scenario}\nthen it should decide, but it threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      { cause: error },
    );
  }
}

/** JSON with bigints as `123n`, so amounts in a failure message read as they are written in specs. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? `${item}n` : item instanceof Map ? Object.fromEntries(item) : item,
  ).replace(/"(-?\d+n)"/g, '$1');
}
