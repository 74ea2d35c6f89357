import type { Logger } from 'pino';
import type { Clock, IdGenerator } from '../../backbone/clock/clock.ts';
import type { Database } from '../../backbone/storage/database.ts';
import { readOurBooks } from './books.ts';
import { businessDateOf, isBusinessDate } from './domain/business-day.ts';
import { reconcile } from './domain/reconcile.ts';
import { ReconciliationError, ReconciliationErrorCodes } from './errors.ts';
import { saveReport, type StoredReport } from './reports.ts';
import type { ScreeningDecisions } from './screening-decisions.ts';
import type { StatementSource } from './statement-source.ts';

export interface ReconciliationRunDeps {
  db: Database;
  statements: StatementSource;
  /** Absent until compliance screening records its decisions: the check is then "not checked". */
  screening?: ScreeningDecisions | undefined;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
}

/**
 * Reconciles one business day and stores the report (a new row per run; the API serves the
 * latest). What the CLI (`paystream reconcile --date YYYY-MM-DD`) and the scheduler call.
 *
 * The statement is fetched first, outside any transaction (an HTTP call must not hold a database
 * transaction open); our books are then read in one REPEATABLE READ transaction, so the ledger,
 * the statuses and the screening decisions are one consistent snapshot, and the report is written
 * in it. Throws `ReconciliationError` when the date is invalid or the statement cannot be had;
 * then nothing is stored, because a report without the statement would list every settlement as
 * a break.
 */
export async function runReconciliation(
  deps: ReconciliationRunDeps,
  date: string,
  options: { triggeredBy?: 'schedule' | 'manual' } = {},
): Promise<StoredReport> {
  if (!isBusinessDate(date)) throw new ReconciliationError(ReconciliationErrorCodes.INVALID_DATE, `not a date (YYYY-MM-DD): ${date}`);
  const today = businessDateOf(deps.clock.nowMs());
  if (date > today)
    throw new ReconciliationError(ReconciliationErrorCodes.INVALID_DATE, `${date} is in the future (today is ${today} UTC)`);
  const log = deps.logger.child({ component: 'reconciliation', businessDate: date });
  const statement = await deps.statements.statementFor(date);
  const uetrs = [...new Set(statement.entries.flatMap((entry) => (entry.uetr === undefined ? [] : [entry.uetr])))];
  const stored = await deps.db.transaction(async (tx) => {
    await tx.query('set transaction isolation level repeatable read');
    const books = await readOurBooks(tx, date, uetrs);
    const completedToday = books.payments
      .filter((payment) => payment.terminalOn === date && payment.status === 'COMPLETED')
      .map((payment) => payment.paymentId);
    const screeningDecisions = deps.screening && (await deps.screening.paymentIdsWithDecision(tx, completedToday));
    const report: StoredReport = {
      ...reconcile(date, { ...books, statement: statement.entries, screeningDecisions }),
      runId: deps.ids.eventId(),
      runAt: new Date(deps.clock.nowMs()),
      triggeredBy: options.triggeredBy ?? 'manual',
      statementMessageId: statement.messageId,
    };
    await saveReport(tx, report);
    return report;
  });
  const summary = {
    runId: stored.runId,
    clean: stored.clean,
    breaks: stored.counts.breaksByKind,
    matched: stored.counts.matched,
    timingDifferences: stored.counts.timingDifferences,
    screening: stored.screening,
  };
  if (stored.clean) log.info(summary, 'reconciliation: the day is clean');
  else log.warn(summary, 'reconciliation found breaks; see GET /v1/reconciliation/{date}');
  if (date === today) log.warn('reconciled the current business day: it is not over, so the report is provisional');
  return stored;
}
