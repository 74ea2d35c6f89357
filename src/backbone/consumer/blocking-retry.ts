import type { Clock } from '../clock/clock.ts';
import { BackboneError, ErrorCodes, classifyError, type ErrorCode } from '../errors.ts';
import type { Item } from './batch-item.ts';
import { attempt } from './failure-isolation.ts';

/**
 * Blocking retry. Contract: the partition waits out each delay in turn and tries the failed record
 * again on its own, its event's `attempt` counting the failures so far; nothing behind it in the
 * partition is applied meanwhile. A non-retryable error dead-letters it at once, with the attempts
 * made; after the last delay it is dead-lettered as RETRIES_EXHAUSTED. On shutdown the wait ends
 * and this rejects, leaving the record to be delivered again to whoever takes the partition.
 */
export async function retryInPlace(item: Item, firstError: unknown, steps: BlockingRetrySteps): Promise<void> {
  let lastError = firstError;
  for (const [index, delayMs] of steps.delaysMs.entries()) {
    steps.countRetry();
    await steps.clock.sleep(delayMs, steps.signal);
    if (steps.signal.aborted) throw new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, 'consumer is stopping', { cause: lastError });
    item.event!.attempt = index + 1;
    const failure = await attempt(() => steps.applyAlone());
    if (failure === undefined) return;
    lastError = failure.cause;
    const { code, retryable, message } = classifyError(lastError);
    if (!retryable) return steps.deadLetter(code, message, index + 2);
  }
  await steps.deadLetter(ErrorCodes.RETRIES_EXHAUSTED, classifyError(lastError).message, steps.delaysMs.length + 1);
}

export interface BlockingRetrySteps {
  delaysMs: readonly number[];
  clock: Clock;
  signal: AbortSignal;
  countRetry(): void;
  /** Applies the record alone in a transaction; rejects with a `RangeFailure` if it fails. */
  applyAlone(): Promise<void>;
  /** Dead-letters the record in a transaction of its own. */
  deadLetter(code: ErrorCode, reason: string, attempts: number): Promise<void>;
}
