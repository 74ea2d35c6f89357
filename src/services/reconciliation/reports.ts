import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { Break, ReconciliationCounts, ReconciliationReport, TimingDifference } from './domain/reconcile.ts';

/** A report as stored and served: the domain's report plus the run's identity. */
export interface StoredReport extends ReconciliationReport {
  runId: string;
  runAt: Date;
  triggeredBy: 'schedule' | 'manual';
  statementMessageId: string | undefined;
}

/** The JSON form of a stored report: amounts in minor units as strings. */
export interface ReportView {
  runId: string;
  date: string;
  runAt: string;
  triggeredBy: 'schedule' | 'manual';
  clean: boolean;
  screening: 'checked' | 'not-checked';
  statementMessageId: string | null;
  counts: ReconciliationCounts;
  breaks: BreakView[];
  timingDifferences: TimingDifference[];
}

export type BreakView = { [Name in keyof Break]: Break[Name] extends bigint | undefined ? string | undefined : Break[Name] };

export async function saveReport(tx: SqlRunner, report: StoredReport): Promise<void> {
  await tx.query(
    `insert into reconciliation_reports (run_id, business_date, run_at, triggered_by, clean, screening, statement_message_id, counts, breaks, timing_differences)
     values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb)`,
    [
      report.runId,
      report.date,
      report.runAt,
      report.triggeredBy,
      report.clean,
      report.screening,
      report.statementMessageId ?? null,
      JSON.stringify(report.counts),
      JSON.stringify(report.breaks.map(breakView)),
      JSON.stringify(report.timingDifferences),
    ],
  );
}

/** The latest run of `date`, or undefined if the day was never reconciled. */
export async function latestReport(tx: SqlRunner, date: string): Promise<ReportView | undefined> {
  const found = await tx.query<ReportRow>(
    `select * from reconciliation_reports where business_date = $1 order by run_at desc, run_id desc limit 1`,
    [date],
  );
  const row = found.rows[0];
  return row && rowView(row);
}

export function reportView(report: StoredReport): ReportView {
  return {
    runId: report.runId,
    date: report.date,
    runAt: report.runAt.toISOString(),
    triggeredBy: report.triggeredBy,
    clean: report.clean,
    screening: report.screening,
    statementMessageId: report.statementMessageId ?? null,
    counts: report.counts,
    breaks: report.breaks.map(breakView),
    timingDifferences: report.timingDifferences,
  };
}

interface ReportRow {
  run_id: string;
  business_date: string;
  run_at: Date;
  triggered_by: 'schedule' | 'manual';
  clean: boolean;
  screening: 'checked' | 'not-checked';
  statement_message_id: string | null;
  counts: ReconciliationCounts;
  breaks: BreakView[];
  timing_differences: TimingDifference[];
}

function rowView(row: ReportRow): ReportView {
  return {
    runId: row.run_id,
    date: row.business_date,
    runAt: row.run_at.toISOString(),
    triggeredBy: row.triggered_by,
    clean: row.clean,
    screening: row.screening,
    statementMessageId: row.statement_message_id,
    counts: row.counts,
    breaks: row.breaks,
    timingDifferences: row.timing_differences,
  };
}

function breakView(found: Break): BreakView {
  return Object.fromEntries(
    Object.entries(found).map(([name, value]) => [name, typeof value === 'bigint' ? value.toString() : value]),
  ) as BreakView;
}
