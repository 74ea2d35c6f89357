// The fraud check of a paid order: a score from 0 to 100 from the amount against the ceiling above
// which an order is not shipped without a person looking at it. Pure; the rule that fired is kept
// for operators and never told to the customer.

export interface FraudCheckOptions {
  /** Orders above this amount (minor units, any currency) score above `maxScore`. Default 5,000.00. */
  maxAmountMinor: bigint;
  /** Scores above this are detected as fraud. Default 80. */
  maxScore: number;
}

export const defaultFraudCheckOptions: FraudCheckOptions = { maxAmountMinor: 500_000n, maxScore: 80 };

export type FraudVerdict = { detected: false; score: number } | { detected: true; score: number; rule: string };

export function decideFraud(order: { amountMinor: bigint }, options: FraudCheckOptions = defaultFraudCheckOptions): FraudVerdict {
  // The amount as a share of the ceiling, scaled so that the ceiling itself scores maxScore.
  const ratio = Number((order.amountMinor * 1000n) / (options.maxAmountMinor > 0n ? options.maxAmountMinor : 1n)) / 1000;
  const score = Math.min(100, Math.round(ratio * options.maxScore));
  if (order.amountMinor > options.maxAmountMinor)
    return { detected: true, score: Math.max(score, options.maxScore + 1), rule: 'amount-above-ceiling' };
  return { detected: false, score };
}
