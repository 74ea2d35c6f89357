import type { SqlRunner } from '../../backbone/storage/database.ts';

/**
 * What compliance screening decided, as far as reconciliation needs it: which payments have a
 * screening decision (cleared, held and decided, or blocked) on record.
 *
 * Contract: `paymentIdsWithDecision(tx, paymentIds)` returns the subset of `paymentIds` that have a
 * decision, read in `tx` so that it sees the same snapshot as the rest of the run. It only reads.
 * Ids it does not know are simply absent from the answer.
 */
export interface ScreeningDecisions {
  paymentIdsWithDecision(tx: SqlRunner, paymentIds: readonly string[]): Promise<ReadonlySet<string>>;
}
