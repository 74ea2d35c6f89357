/**
 * The bank's exposure to its borrowers: each approved loan adds its amount to the applicant's
 * account's exposure and to the total of its currency. RISK_ASSESSMENT records a loan's exposure
 * if both stay within their limits; REVERT_RISK removes it. Amounts in minor units.
 */
export interface ExposureLimits {
  /** Most a single customer account may owe the bank, per currency. */
  maxCustomerExposureMinor: bigint;
  /** Most the bank lends in total, per currency (the risk appetite, below the ledger's capacity). */
  maxTotalExposureMinor: bigint;
}

export const defaultExposureLimits: ExposureLimits = {
  maxCustomerExposureMinor: 5_000_000n, // 50,000.00
  maxTotalExposureMinor: 500_000_000n, // 5,000,000.00
};

export interface ExposureState {
  /** The account's recorded exposure, before this loan. */
  customerExposureMinor: bigint;
  /** The currency's total recorded exposure, before this loan. */
  totalExposureMinor: bigint;
}

export type ExposureDecision = { kind: 'record' } | { kind: 'refuse'; reason: string };

export function decideExposure(state: ExposureState, amountMinor: bigint, limits: ExposureLimits): ExposureDecision {
  if (amountMinor <= 0n) throw new RangeError(`a loan must be positive, got ${amountMinor}`);
  if (state.customerExposureMinor + amountMinor > limits.maxCustomerExposureMinor)
    return { kind: 'refuse', reason: 'the customer exposure limit would be exceeded' };
  if (state.totalExposureMinor + amountMinor > limits.maxTotalExposureMinor)
    return { kind: 'refuse', reason: 'the total exposure limit would be exceeded' };
  return { kind: 'record' };
}
