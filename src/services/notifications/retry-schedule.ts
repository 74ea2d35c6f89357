/** Delays before the 2nd, 3rd, … attempt of a delivery: then it is dead-lettered. */
export const deliveryRetryDelaysMsDefault: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000];

/**
 * What follows a failed attempt: `attempts` is how many have been made, this one included. With
 * n delays there are n + 1 attempts; after the last, the delivery is dead-lettered.
 */
export function afterFailedAttempt(
  attempts: number,
  retryDelaysMs: readonly number[],
  nowMs: number,
): { retryAtMs: number } | 'dead-letter' {
  const delayMs = retryDelaysMs[attempts - 1];
  return delayMs === undefined ? 'dead-letter' : { retryAtMs: nowMs + delayMs };
}
