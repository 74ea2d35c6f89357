/**
 * Failure isolation. Contract: one record never stalls its partition nor takes the effects of
 * other records down with it. A run of records is applied in one transaction; when a record
 * fails, the transaction rolls back, the records before the failing one are applied in a
 * transaction of their own, the failing record goes alone to `onFailure` (retry, retry tier or
 * dead letter), and the rest of the batch carries on. A batch handler that fails without naming the
 * event (no `EventFailure`) gets the run's records one at a time, until the one at fault is found.
 * Runs never reach past `runEnd(start)` (a retry tier's records that are due).
 */
export async function isolateFailures(count: number, steps: IsolationSteps): Promise<void> {
  let start = 0;
  let end = count;
  // After a batch handler failed without naming the event: records up to here go one at a time.
  let oneByOneUntil = 0;
  while (start < count) {
    end = Math.min(end, await steps.runEnd(start));
    if (start < oneByOneUntil) end = start + 1;
    const failure = await attempt(() => steps.apply(start, end));
    if (failure === undefined) {
      start = end;
      end = count;
    } else if (failure.index === undefined && end - start > 1) {
      oneByOneUntil = end;
      end = start + 1;
    } else if (failure.index !== undefined && failure.index > start) {
      end = failure.index;
    } else {
      await steps.onFailure(start, failure.cause);
      start++;
      end = count;
    }
  }
}

export interface IsolationSteps {
  /** The end of the run that may be applied from `start` (`count` when every record may). */
  runEnd(start: number): Promise<number>;
  /** Applies records `start` to `end` (exclusive) in one transaction; rejects with a `RangeFailure`. */
  apply(start: number, end: number): Promise<void>;
  /** Deals with the failed record at `index` on its own. */
  onFailure(index: number, cause: unknown): Promise<void>;
}

/** A record of the run failed: at `index` of its batch, or undefined when a batch handler did not say which. */
export class RangeFailure extends Error {
  readonly index: number | undefined;
  constructor(index: number | undefined, cause: unknown) {
    super('handler failed', { cause });
    this.index = index;
  }
}

/** The run's `RangeFailure`, or undefined when it applied; anything else (the database down) rejects. */
export async function attempt(apply: () => Promise<void>): Promise<RangeFailure | undefined> {
  try {
    await apply();
    return undefined;
  } catch (error) {
    if (error instanceof RangeFailure) return error;
    throw error;
  }
}
