import type { PaymentService, ServiceDeps } from '../service.ts';
import { XsdValidator } from '../../contracts/iso20022/xsd-validator.ts';
import { httpStatementSource } from './http-statement-source.ts';
import { resolveReconciliationOptions, type ReconciliationOptions } from './options.ts';
import { reconciliationRoutes } from './routes.ts';
import { runReconciliation, type ReconciliationRunDeps } from './run.ts';
import { ReconciliationScheduler } from './scheduler.ts';
import { reconciliationMigrations } from './migrations.ts';
import type { StoredReport } from './reports.ts';

/** The reconciliation service, plus what the CLI and tests drive directly. */
export interface ReconciliationService extends PaymentService {
  /** Reconciles `date` now and stores the report (`paystream reconcile --date`). */
  run(date: string): Promise<StoredReport>;
  scheduler: ReconciliationScheduler;
  /** The dependencies `runReconciliation` takes, as this service built them. */
  runDeps: ReconciliationRunDeps;
}

/**
 * Daily reconciliation of the ledger, the payments' statuses, the RTGS network's camt.053
 * statement and the screening decisions (docs/reconciliation.md).
 *
 * - worker `reconciliation-scheduler`: reconciles the previous business day after the cut-off.
 * - route `GET /v1/reconciliation/{date}` (scope `ops`): the latest report of a day.
 * - table `reconciliation_reports`: one row per run.
 *
 * No consumer: it reads the other services' tables (one database) and the network's statement.
 * Options are validated here, at construction (`BackboneError` INVALID_OPTIONS).
 */
export function createReconciliationService(deps: ServiceDeps, options: ReconciliationOptions): ReconciliationService {
  const resolved = resolveReconciliationOptions(options);
  const statements =
    resolved.statementSource ??
    httpStatementSource({
      networkUrl: resolved.networkUrl!,
      participantBic: resolved.participantBic!,
      settlementAccountId: resolved.settlementAccountId,
      timeoutMs: resolved.timeoutMs,
      validator: new XsdValidator({ xsdDir: resolved.xsdDir }),
    });
  const runDeps: ReconciliationRunDeps = {
    db: deps.db,
    statements,
    screening: resolved.screeningDecisions,
    clock: deps.clock,
    ids: deps.ids,
    logger: deps.logger,
  };
  const scheduler = new ReconciliationScheduler(runDeps, resolved.schedule, resolved.cutOffMs);
  return {
    name: 'reconciliation',
    migrations: reconciliationMigrations,
    consumers: [],
    routes: reconciliationRoutes({
      db: deps.db,
      requireScope: resolved.requireScope,
      run: (date) => runReconciliation(runDeps, date, { triggeredBy: 'manual' }),
    }),
    workers: [scheduler],
    run: (date) => runReconciliation(runDeps, date, { triggeredBy: 'manual' }),
    scheduler,
    runDeps,
  };
}

export { runReconciliation, type ReconciliationRunDeps } from './run.ts';
export {
  reconcile,
  BreakKinds,
  type BreakKind,
  type Break,
  type ReconciliationReport,
  type ReconciliationSources,
  type ReconciliationCounts,
  type LedgerSettlement,
  type PaymentRecord,
  type StatementRecord,
  type TimingDifference,
} from './domain/reconcile.ts';
export { isBusinessDate, dueBusinessDate } from './domain/business-day.ts';
export { ReconciliationError, ReconciliationErrorCodes, type ReconciliationErrorCode } from './errors.ts';
export type { StatementSource, FetchedStatement } from './statement-source.ts';
export type { ScreeningDecisions } from './screening-decisions.ts';
export { httpStatementSource, readStatement, type HttpStatementSourceOptions } from './http-statement-source.ts';
export { parseCamt053, type ParsedStatementMessage, type ParsedAccountStatement } from './camt053-parser.ts';
export { ReconciliationScheduler, type ReconciliationScheduleOptions, type ScheduleOutcome } from './scheduler.ts';
export { resolveReconciliationOptions, type ReconciliationOptions } from './options.ts';
export { reconciliationMigrations } from './migrations.ts';
export { latestReport, reportView, type StoredReport, type ReportView, type BreakView } from './reports.ts';
