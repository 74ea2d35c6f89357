import { describe, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { defaultScorecard, monthlyInstalmentMinor, scoreApplication, type AccountStanding, type CreditApplication } from './scorecard.ts';
import { expect } from 'vitest';

const score = decisionSpec((standing: AccountStanding, application: CreditApplication) => scoreApplication(application, standing));

/** The README's example: 5000.00 EUR over 24 months, 4000.00 income, 300.00 debts. */
const readme: CreditApplication = {
  amountMinor: 500_000n,
  termMonths: 24,
  declaredMonthlyIncomeMinor: 400_000n,
  declaredMonthlyDebtsMinor: 30_000n,
};
/** An account opened today with 3000.00 deposited. */
const newAccount: AccountStanding = { balanceMinor: 300_000n, ageDays: 0 };

describe('the credit scorecard', () => {
  it('computes the instalment as the principal over the term plus a flat 7% a year, rounded up', () => {
    // 5000.00 / 24 = 208.34 (up), 5000.00 × 7% / 12 = 29.17 (up)
    expect(monthlyInstalmentMinor(readme, defaultScorecard)).toBe(20_834n + 2_917n);
  });

  it("passes the README's example on an account opened today, with every point explained", () => {
    score
      .given(newAccount)
      .when(readme)
      .then({
        kind: 'pass',
        score: 80,
        instalmentMinor: 23_751n,
        reasons: [
          { rule: 'debt-to-income', points: 40, detail: 'debts and the new instalment are 13.44% of the income' },
          { rule: 'balance', points: 20, detail: 'the balance covers 12 instalments' },
          { rule: 'account-age', points: 0, detail: 'the account is 0 days old' },
          { rule: 'loan-to-income', points: 20, detail: 'the loan is 2 months of income' },
        ],
      });
  });

  it('declines a debt-to-income above 50% whatever the score', () => {
    score
      .given({ balanceMinor: 10_000_000n, ageDays: 4000 })
      .when({ ...readme, declaredMonthlyIncomeMinor: 100_000n, declaredMonthlyDebtsMinor: 60_000n })
      .thenMatches({ kind: 'decline', reason: 'debt-to-income 83.76% is above the maximum 50.00%' });
  });

  it('declines a score below the cut-off: a large loan on an empty new account', () => {
    score
      .given({ balanceMinor: 0n, ageDays: 0 })
      .when({ ...readme, amountMinor: 12_000_000n, termMonths: 360 })
      .thenMatches({ kind: 'decline', score: 25, reason: 'score 25 is below the cut-off 50' });
  });

  it('gives an old account with a healthy balance the points of its standing', () => {
    score.given({ balanceMinor: 1_000_000n, ageDays: 400 }).when(readme).thenMatches({ kind: 'pass', score: 100 });
  });

  it('refuses a non-positive income as a programmer error (the API checks it)', () => {
    score
      .given(newAccount)
      .when({ ...readme, declaredMonthlyIncomeMinor: 0n })
      .thenThrows(RangeError);
  });
});
