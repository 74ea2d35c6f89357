import { describe, expect, it } from 'vitest';
import { decisionSpec, describeValue } from './decision-spec.ts';

// The helper itself: it passes what it should, and its failures name the scenario they broke.
type Withdrawal = { kind: 'pay'; amountMinor: bigint } | { kind: 'refuse'; reason: string };
const decideWithdrawal = (balanceMinor: bigint, amountMinor: bigint): Withdrawal => {
  if (amountMinor <= 0n) throw new RangeError(`a withdrawal must be positive, got ${amountMinor}`);
  return amountMinor <= balanceMinor ? { kind: 'pay', amountMinor } : { kind: 'refuse', reason: 'insufficient funds' };
};
const withdrawal = decisionSpec(decideWithdrawal);

const failureOf = (assertion: () => void): string => {
  try {
    assertion();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the assertion passed');
};

describe('decisionSpec on a state', () => {
  it('passes when the decision is the expected one', () => {
    withdrawal.given(100n).when(100n).then({ kind: 'pay', amountMinor: 100n });
    withdrawal.given(100n).when(101n).then({ kind: 'refuse', reason: 'insufficient funds' });
  });

  it('fails naming the state, the input and the expected decision', () => {
    const message = failureOf(() => withdrawal.given(100n).when(101n).then({ kind: 'pay', amountMinor: 101n }));
    expect(message).toContain('given 100n\nwhen 101n\nthen the decision should be {"kind":"pay","amountMinor":101n}');
  });

  it('fails when deciding throws where a decision was expected, with the error', () => {
    const message = failureOf(() => withdrawal.given(100n).when(0n).then({ kind: 'pay', amountMinor: 0n }));
    expect(message).toBe('given 100n\nwhen 0n\nthen it should decide, but it threw: RangeError: a withdrawal must be positive, got 0');
  });

  it('thenThrows passes on the expected error class and message, and fails when it decides instead', () => {
    withdrawal
      .given(100n)
      .when(-1n)
      .thenThrows(RangeError, /must be positive/);
    expect(failureOf(() => withdrawal.given(100n).when(1n).thenThrows(RangeError))).toContain(
      'then it should throw a RangeError, but decided {"kind":"pay","amountMinor":1n}',
    );
    expect(failureOf(() => withdrawal.given(100n).when(-1n).thenThrows(TypeError))).toContain('then it should throw a TypeError');
    expect(
      failureOf(() =>
        withdrawal
          .given(100n)
          .when(-1n)
          .thenThrows(RangeError, /overdraft/),
      ),
    ).toContain("then the error's message");
  });

  it('thenMatches compares the fields it is given, and names them when they differ', () => {
    withdrawal.given(100n).when(101n).thenMatches({ kind: 'refuse' });
    expect(failureOf(() => withdrawal.given(100n).when(101n).thenMatches({ kind: 'pay' }))).toContain(
      'given 100n\nwhen 101n\nthen the decision should match {"kind":"pay"}',
    );
  });

  it('thenSatisfies passes a decision its check accepts and names the decision it refuses', () => {
    withdrawal
      .given(100n)
      .when(5n)
      .thenSatisfies((decision) => expect(decision.kind).toBe('pay'));
    expect(
      failureOf(() =>
        withdrawal
          .given(1n)
          .when(5n)
          .thenSatisfies((decision) => expect(decision.kind).toBe('pay')),
      ),
    ).toContain('the decision {"kind":"refuse","reason":"insufficient funds"} does not pass the check');
  });
});

describe('decisionSpec on facts', () => {
  type Fact = { deposited: bigint } | { withdrew: bigint };
  const account = decisionSpec({
    initialState: () => 0n,
    evolve: (balanceMinor: bigint, fact: Fact) => ('deposited' in fact ? balanceMinor + fact.deposited : balanceMinor - fact.withdrew),
    decide: decideWithdrawal,
  });

  it('folds the facts into the state it decides on, in order', () => {
    account.given([]).when(1n).then({ kind: 'refuse', reason: 'insufficient funds' });
    account
      .given([{ deposited: 100n }, { withdrew: 30n }])
      .when(70n)
      .then({ kind: 'pay', amountMinor: 70n });
    account
      .given([{ deposited: 100n }, { withdrew: 30n }])
      .when(71n)
      .then({ kind: 'refuse', reason: 'insufficient funds' });
  });

  it('names the facts in its failure', () => {
    expect(
      failureOf(() =>
        account
          .given([{ deposited: 1n }])
          .when(2n)
          .then({ kind: 'pay', amountMinor: 2n }),
      ),
    ).toContain('given [{"deposited":1n}]\nwhen 2n');
  });
});

describe('describeValue', () => {
  it('writes bigints as in source, maps as objects, and undefined as such', () => {
    expect(describeValue({ amountMinor: -5n, limits: new Map([['EUR', 10n]]) })).toBe('{"amountMinor":-5n,"limits":{"EUR":10n}}');
    expect(describeValue(undefined)).toBe('undefined');
  });
});
