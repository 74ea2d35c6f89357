import type { Logger } from 'pino';
import type { Clock } from '../../backbone/clock/clock.ts';
import type { Database } from '../../backbone/storage/database.ts';
import type { CausedEvent, EventPublisher } from '../service.ts';
import { decideOnStatus } from './domain/status-decision.ts';
import type { PaymentStatusReport, TransactionStatus } from '../../contracts/iso20022/pacs002.ts';
import { lockSubmissions, recordDecisions } from './submissions.ts';
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

/** One transaction status to apply, with where it came from. */
export interface StatusToApply {
  status: TransactionStatus;
  /** The settlement date of a settlement: the report's creation date. */
  reportDate: string;
  via: AnswerPath;
}

/**
 * Applies the network's answers, whichever path brought them (callback or status query), any
 * number in ONE database transaction: the submissions' rows are locked (UETR order), the pure
 * `decideOnStatus` decides each status in order, and the final answers change the states
 * (conditionally, from `submitted` only, one statement) and write the `rtgs.settled` /
 * `rtgs.rejected` events to the outbox, together. Two paths delivering the same answer at the same
 * time serialise on the row lock; the second sees a final state and does nothing. So each UETR
 * produces exactly one final event. Returns one outcome per status, in order.
 */
export async function applyStatuses(deps: StatusApplierDeps, statuses: readonly StatusToApply[]): Promise<AppliedStatus[]> {
  if (statuses.length === 0) return [];
  // The payment each answer is about, for the log lines below (a callback's request has the
  // network's correlation id, not the payment's).
  const paymentOf = new Map<string, { correlationId: string; paymentId: string }>();
  const outcomes = await deps.db.transaction(async (tx) => {
    const submissions = await lockSubmissions(
      tx,
      statuses.map((item) => item.status.uetr),
    );
    const decided: {
      uetr: string;
      state: 'settled' | 'rejected';
      reasonCode: string | null;
      settlementDate: string | null;
      via: AnswerPath;
    }[] = [];
    const events: CausedEvent[] = [];
    const results = statuses.map(({ status, reportDate, via }): AppliedStatus['outcome'] => {
      const submission = submissions.get(status.uetr);
      if (!submission) return 'unknown';
      paymentOf.set(status.uetr, { correlationId: submission.correlationId, paymentId: submission.paymentId });
      const decision = decideOnStatus(submission, status, reportDate);
      if (decision.kind === 'pending') return 'pending';
      if (decision.kind === 'already-final') {
        if (decision.conflicting)
          deps.logger.error(
            {
              correlationId: submission.correlationId,
              paymentId: submission.paymentId,
              uetr: status.uetr,
              state: decision.state,
              status: status.status,
              via,
            },
            'the RTGS network contradicts a final answer; ignored, needs an operator',
          );
        return 'already-final';
      }
      const state = decision.kind === 'settle' ? 'settled' : 'rejected';
      // Later statuses of the same UETR in this transaction see the answer as final.
      submissions.set(status.uetr, { ...submission, state });
      decided.push({
        uetr: status.uetr,
        state,
        reasonCode: decision.kind === 'reject' ? decision.event.payload.reasonCode : null,
        settlementDate: decision.kind === 'settle' ? decision.event.payload.settlementDate : null,
        via,
      });
      const cause = {
        correlationId: submission.correlationId,
        ...(submission.causeEventId ? { eventId: submission.causeEventId } : {}),
        ...(submission.traceparent ? { traceparent: submission.traceparent } : {}),
      };
      events.push({ event: decision.event, cause });
      return state;
    });
    const changed = await recordDecisions(tx, decided, new Date(deps.clock.nowMs()));
    if (changed !== decided.length)
      throw new Error(`RTGS answers: ${decided.length} decisions but ${changed} submissions changed under their row locks`);
    await deps.publisher.publishEach(tx, events);
    return results;
  });
  return statuses.map(({ status, via }, index) => {
    const outcome = outcomes[index]!;
    if (outcome === 'settled' || outcome === 'rejected') {
      deps.metrics.decisions.inc({ state: outcome, via });
      deps.logger.debug({ ...paymentOf.get(status.uetr), uetr: status.uetr, outcome, via }, 'RTGS answer applied');
    }
    return { uetr: status.uetr, outcome };
  });
}

/** Applies every transaction status of one pacs.002 (see `applyStatuses`). */
export async function applyStatusReport(deps: StatusApplierDeps, report: PaymentStatusReport, via: AnswerPath): Promise<AppliedStatus[]> {
  const reportDate = reportDateOf(report, deps.clock);
  return applyStatuses(
    deps,
    report.transactions.map((status) => ({ status, reportDate, via })),
  );
}

/** The date a report's settlements settle on: its creation date (today if it has none readable). */
export function reportDateOf(report: PaymentStatusReport, clock: Clock): string {
  return /^\d{4}-\d{2}-\d{2}/.test(report.createdAt) ? report.createdAt.slice(0, 10) : new Date(clock.nowMs()).toISOString().slice(0, 10);
}
