import { BackboneError, ErrorCodes } from '../../backbone/errors.ts';
import type { RequireScope } from '../http/scopes.ts';
import { defaultXsdDir } from '../../contracts/iso20022/xsd-validator.ts';
import { isBic } from '../../contracts/iso20022/identifiers.ts';
import { parseTimeOfDay } from './domain/business-day.ts';
import type { ReconciliationScheduleOptions } from './scheduler.ts';
import type { ScreeningDecisions } from './screening-decisions.ts';
import type { StatementSource } from './statement-source.ts';

export interface ReconciliationOptions {
  requireScope: RequireScope;
  /**
   * Where statements come from. Default: the RTGS network over HTTP (`networkUrl`,
   * `participantBic`), validated against camt.053.001.08.
   */
  statementSource?: StatementSource;
  /** Base URL of the RTGS network. Required unless `statementSource` is given. */
  networkUrl?: string;
  /** Our BIC, whose settlement account's statement is read. Required unless `statementSource` is given. */
  participantBic?: string;
  /** Only statements of this account (camt.053 Acct/Id) are read. Default: every statement the network returns for `participantBic`. */
  settlementAccountId?: string;
  /** Default `../shared/data/iso20022/` beside the repository. */
  xsdDir?: string;
  /** Per statement request. Default 30 000: a day's statement can be large. */
  timeoutMs?: number;
  /** Absent: completed payments are not checked for a screening decision ("not checked"). */
  screeningDecisions?: ScreeningDecisions;
  schedule?: Partial<ReconciliationScheduleOptions>;
}

export interface ResolvedReconciliationOptions {
  requireScope: RequireScope;
  statementSource: StatementSource | undefined;
  networkUrl: string | undefined;
  participantBic: string | undefined;
  settlementAccountId: string | undefined;
  xsdDir: string;
  timeoutMs: number;
  screeningDecisions: ScreeningDecisions | undefined;
  schedule: ReconciliationScheduleOptions;
  cutOffMs: number;
}

const defaultSchedule: ReconciliationScheduleOptions = { enabled: true, cutOffUtc: '00:30', pollIntervalMs: 60_000, retryDelayMs: 300_000 };

/** Applies the defaults and validates; throws `BackboneError(INVALID_OPTIONS)` naming the field. */
export function resolveReconciliationOptions(options: ReconciliationOptions): ResolvedReconciliationOptions {
  const schedule = { ...defaultSchedule, ...options.schedule };
  const cutOffMs = parseTimeOfDay(schedule.cutOffUtc);
  check(cutOffMs !== undefined, 'schedule.cutOffUtc must be a time of day HH:MM (UTC)');
  positiveInteger('schedule.pollIntervalMs', schedule.pollIntervalMs);
  positiveInteger('schedule.retryDelayMs', schedule.retryDelayMs);
  const timeoutMs = options.timeoutMs ?? 30_000;
  positiveInteger('timeoutMs', timeoutMs);
  if (options.statementSource === undefined) {
    check(
      options.networkUrl !== undefined && isHttpUrl(options.networkUrl),
      'networkUrl must be an http(s) URL (or give a statementSource)',
    );
    check(
      options.participantBic !== undefined && isBic(options.participantBic),
      'participantBic must be a BIC (or give a statementSource)',
    );
  }
  return {
    requireScope: options.requireScope,
    statementSource: options.statementSource,
    networkUrl: options.networkUrl,
    participantBic: options.participantBic,
    settlementAccountId: options.settlementAccountId,
    xsdDir: options.xsdDir ?? defaultXsdDir,
    timeoutMs,
    screeningDecisions: options.screeningDecisions,
    schedule,
    cutOffMs,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function positiveInteger(name: string, value: number): void {
  check(Number.isInteger(value) && value > 0, `${name} must be a positive integer`);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `reconciliation options: ${message}`);
}
