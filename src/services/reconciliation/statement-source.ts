import type { StatementRecord } from './domain/reconcile.ts';

/**
 * Where the RTGS network's end-of-day statement of a business day comes from.
 *
 * Contract: `statementFor(date)` resolves with the entries booked on our settlement account on
 * `date` (both directions), already validated and parsed; a day on which the network booked
 * nothing resolves with no entries. It rejects with a `ReconciliationError` — `STATEMENT_UNAVAILABLE`
 * (retryable) when the network cannot be asked now, `STATEMENT_INVALID` when its answer is not a
 * valid statement of that day — and never resolves with a partial statement, because every entry
 * missing from it would be reported as a break. It may be called again for the same day and
 * concurrently; it keeps no state.
 */
export interface StatementSource {
  statementFor(date: string): Promise<FetchedStatement>;
}

export interface FetchedStatement {
  /** GrpHdr/MsgId of the camt.053; undefined when the network had no statement for the day. */
  messageId: string | undefined;
  entries: StatementRecord[];
}
