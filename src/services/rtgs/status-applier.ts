import type { Logger } from 'pino';
import type { Clock } from '../../backbone/clock/clock.ts';
import type { Database } from '../../backbone/storage/database.ts';
import type { EventPublisher } from '../service.ts';
import { decideOnStatus } from './domain/status-decision.ts';
import type { PaymentStatusReport } from './iso20022/pacs002.ts';
import { findSubmission, recordDecision } from './submissions.ts';
import type { RtgsMetrics } from './metrics.ts';

/** How an answer came: the network's callback, a status query, or the network refusing the pacs.008 when it was sent. */
export type AnswerPath = 'callback' | 'status-query' | 'submit-refused';

/** What became of one transaction status of a pacs.002. */
export interface AppliedStatus {
  uetr: string;
  /** settled/rejected: applied now; pending: not final; already-final: a repeat, no effect; unknown: no such submission. */
  outcome: 'settled' | 'rejected' | 'pending' | 'already-final' | 'unknown';
}

export interface StatusApplierDeps {
  db: Database;
  publisher: EventPublisher;
  clock: Clock;
  logger: Logger;
  metrics: RtgsMetrics;
}

/**
 * Applies the network's answers, whichever path brought them (callback or status query). Each
 * transaction status is applied in its own database transaction: the submission's row is locked,
 * the pure `decideOnStatus` decides, and a final answer changes the state (conditionally, from
 * `submitted` only) and writes the `rtgs.settled` / `rtgs.rejected` event to the outbox, together.
 * Two paths delivering the same answer at the same time serialise on the row lock; the second
 * sees a final state and does nothing. So each UETR produces exactly one final event.
 */
export async function applyStatusReport(deps: StatusApplierDeps, report: PaymentStatusReport, via: AnswerPath): Promise<AppliedStatus[]> {
  const reportDate = /^\d{4}-\d{2}-\d{2}/.test(report.createdAt) ? report.createdAt.slice(0, 10) : new Date(deps.clock.nowMs()).toISOString().slice(0, 10);
  const applied: AppliedStatus[] = [];
  for (const status of report.transactions) {
    const outcome = await deps.db.transaction(async (tx): Promise<AppliedStatus['outcome']> => {
      const submission = await findSubmission(tx, status.uetr, { lock: true });
      if (!submission) return 'unknown';
      const decision = decideOnStatus(submission, status, reportDate);
      if (decision.kind === 'pending') return 'pending';
      if (decision.kind === 'already-final') {
        if (decision.conflicting) deps.logger.error({ uetr: status.uetr, paymentId: submission.paymentId, state: decision.state, status: status.status, via }, 'the RTGS network contradicts a final answer; ignored, needs an operator');
        return 'already-final';
      }
      const state = decision.kind === 'settle' ? 'settled' : 'rejected';
      const changed = await recordDecision(tx, status.uetr, {
        state,
        reasonCode: decision.kind === 'reject' ? decision.event.payload.reasonCode : null,
        settlementDate: decision.kind === 'settle' ? decision.event.payload.settlementDate : null,
        via,
        at: new Date(deps.clock.nowMs()),
      });
      if (!changed) return 'already-final';
      const cause = { correlationId: submission.correlationId, ...(submission.causeEventId ? { eventId: submission.causeEventId } : {}), ...(submission.traceparent ? { traceparent: submission.traceparent } : {}) };
      await deps.publisher.publish(tx, [decision.event], cause);
      return state;
    });
    if (outcome === 'settled' || outcome === 'rejected') {
      deps.metrics.decisions.inc({ state: outcome, via });
      deps.logger.info({ uetr: status.uetr, outcome, via }, 'RTGS answer applied');
    }
    applied.push({ uetr: status.uetr, outcome });
  }
  return applied;
}
