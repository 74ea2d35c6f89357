/**
 * The credit scorecard: a deterministic, explainable score of a loan application from what the
 * applicant declared and what the ledger knows of the account, with a cut-off. Every point has a
 * reason, so an officer (and the applicant, on request) can be told why. Amounts in minor units;
 * ratios in basis points, all integer arithmetic.
 *
 * - The new loan's monthly instalment: the principal over the term, plus a flat interest of
 *   `annualRateBasisPoints` a year on the principal (a conservative over-estimate of an annuity).
 * - Debt-to-income (DTI): (declared debts + instalment) / declared income. Above `maxDebtToIncomeBasisPoints`
 *   the application is declined whatever the rest (a hard rule); below, fewer points as it grows.
 * - The account's standing: its balance in instalments, and its age.
 * - Loan-to-income: the principal against the yearly income.
 */
export interface Scorecard {
  annualRateBasisPoints: number;
  /** Above this DTI the application is declined (a hard rule, not points). */
  maxDebtToIncomeBasisPoints: number;
  /** The score needed to pass. */
  cutOffPoints: number;
}

export const defaultScorecard: Scorecard = { annualRateBasisPoints: 700, maxDebtToIncomeBasisPoints: 5_000, cutOffPoints: 50 };

export interface CreditApplication {
  amountMinor: bigint;
  termMonths: number;
  declaredMonthlyIncomeMinor: bigint;
  declaredMonthlyDebtsMinor: bigint;
}

/** What the ledger knows of the applicant's account. */
export interface AccountStanding {
  balanceMinor: bigint;
  /** Whole days since the account was opened. */
  ageDays: number;
}

export interface ScoreReason {
  rule: 'debt-to-income' | 'balance' | 'account-age' | 'loan-to-income';
  points: number;
  detail: string;
}

export type CreditDecision =
  | { kind: 'pass'; score: number; reasons: ScoreReason[]; instalmentMinor: bigint }
  | { kind: 'decline'; score: number; reasons: ScoreReason[]; instalmentMinor: bigint; reason: string };

export function monthlyInstalmentMinor(application: CreditApplication, scorecard: Scorecard): bigint {
  const term = BigInt(application.termMonths);
  const principal = ceilDiv(application.amountMinor, term);
  const interest = ceilDiv(application.amountMinor * BigInt(scorecard.annualRateBasisPoints), 10_000n * 12n);
  return principal + interest;
}

/** The scorecard's decision. Declines a DTI above the maximum, or a score below the cut-off. */
export function scoreApplication(
  application: CreditApplication,
  standing: AccountStanding,
  scorecard: Scorecard = defaultScorecard,
): CreditDecision {
  if (application.declaredMonthlyIncomeMinor <= 0n) throw new RangeError('the declared income must be positive');
  const instalmentMinor = monthlyInstalmentMinor(application, scorecard);
  const dtiBasisPoints = Number(
    ceilDiv((application.declaredMonthlyDebtsMinor + instalmentMinor) * 10_000n, application.declaredMonthlyIncomeMinor),
  );
  const reasons: ScoreReason[] = [
    dtiReason(dtiBasisPoints),
    balanceReason(standing.balanceMinor, instalmentMinor),
    ageReason(standing.ageDays),
    loanToIncomeReason(application.amountMinor, application.declaredMonthlyIncomeMinor),
  ];
  const score = reasons.reduce((total, reason) => total + reason.points, 0);
  if (dtiBasisPoints > scorecard.maxDebtToIncomeBasisPoints)
    return {
      kind: 'decline',
      score,
      reasons,
      instalmentMinor,
      reason: `debt-to-income ${percent(dtiBasisPoints)} is above the maximum ${percent(scorecard.maxDebtToIncomeBasisPoints)}`,
    };
  if (score < scorecard.cutOffPoints)
    return { kind: 'decline', score, reasons, instalmentMinor, reason: `score ${score} is below the cut-off ${scorecard.cutOffPoints}` };
  return { kind: 'pass', score, reasons, instalmentMinor };
}

function dtiReason(dtiBasisPoints: number): ScoreReason {
  const points = dtiBasisPoints <= 2_000 ? 40 : dtiBasisPoints <= 3_500 ? 25 : dtiBasisPoints <= 4_500 ? 10 : 0;
  return { rule: 'debt-to-income', points, detail: `debts and the new instalment are ${percent(dtiBasisPoints)} of the income` };
}

function balanceReason(balanceMinor: bigint, instalmentMinor: bigint): ScoreReason {
  const points = balanceMinor >= 3n * instalmentMinor ? 20 : balanceMinor >= instalmentMinor ? 10 : 0;
  const covered = instalmentMinor === 0n ? 0n : balanceMinor / instalmentMinor;
  return { rule: 'balance', points, detail: `the balance covers ${covered < 0n ? 0n : covered} instalments` };
}

function ageReason(ageDays: number): ScoreReason {
  const points = ageDays >= 365 ? 20 : ageDays >= 90 ? 10 : 0;
  return { rule: 'account-age', points, detail: `the account is ${ageDays} days old` };
}

function loanToIncomeReason(amountMinor: bigint, monthlyIncomeMinor: bigint): ScoreReason {
  const months = Number(ceilDiv(amountMinor, monthlyIncomeMinor));
  const points = months <= 12 ? 20 : months <= 24 ? 10 : 0;
  return { rule: 'loan-to-income', points, detail: `the loan is ${months} months of income` };
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

function percent(basisPoints: number): string {
  return `${(basisPoints / 100).toFixed(2)}%`;
}
