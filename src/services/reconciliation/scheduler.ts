import type { Database } from '../../backbone/storage/database.ts';
import { tryAcquireSessionLock } from '../../backbone/storage/session-lock.ts';
import type { BackgroundWorker } from '../service.ts';
import { dueBusinessDate } from './domain/business-day.ts';
import { ReconciliationError } from './errors.ts';
import { runReconciliation, type ReconciliationRunDeps } from './run.ts';

export interface ReconciliationScheduleOptions {
  /** Default true. Off: only the CLI runs reconciliations. */
  enabled: boolean;
  /**
   * `HH:MM` UTC after midnight from which the previous day is reconciled. Default `00:30`: the
   * network has closed its books and our consumers have applied the last settlements of the day.
   */
  cutOffUtc: string;
  /** How often the scheduler looks whether a day is due. Default 60 000. */
  pollIntervalMs: number;
  /** After a failed run (statement unavailable), wait this long before trying again. Default 300 000. */
  retryDelayMs: number;
}

/** What one look at the schedule did. */
export type ScheduleOutcome =
  { kind: 'not-due' | 'busy' } | { kind: 'reconciled'; date: string; clean: boolean } | { kind: 'failed'; date: string; code: string };

/**
 * Reconciles each business day once, after its cut-off: every `pollIntervalMs` it computes the
 * latest day due (at 00:30 on D+1, day D) and runs it unless a scheduled run of that day is already
 * stored. A failed run (the network's statement unavailable) is retried after `retryDelayMs`, for
 * as long as it fails: a day is never skipped silently, and every failure is logged as an error.
 *
 * Only the latest due day is run: after an outage of several days, the days before are
 * reconciled with the CLI. Manual runs do not count as the day's scheduled run.
 *
 * Scaled out, several processes run this worker: a session lock makes one of them run a day, and
 * the others then find its report.
 */
export class ReconciliationScheduler implements BackgroundWorker {
  readonly name = 'reconciliation-scheduler';
  readonly #deps: ReconciliationRunDeps;
  readonly #options: ReconciliationScheduleOptions;
  readonly #cutOffMs: number;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(deps: ReconciliationRunDeps, options: ReconciliationScheduleOptions, cutOffMs: number) {
    this.#deps = deps;
    this.#options = options;
    this.#cutOffMs = cutOffMs;
  }

  async start(): Promise<void> {
    if (this.#loop || !this.#options.enabled) return;
    const abort = (this.#abort = new AbortController());
    this.#loop = (async () => {
      while (!abort.signal.aborted) {
        let waitMs = this.#options.pollIntervalMs;
        try {
          if ((await this.runDue()).kind === 'failed') waitMs = this.#options.retryDelayMs;
        } catch (error) {
          this.#deps.logger.error({ err: error }, 'reconciliation scheduler round failed');
          waitMs = this.#options.retryDelayMs;
        }
        await this.#deps.clock.sleep(waitMs, abort.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Runs the latest due day if no scheduled run of it is stored yet. */
  async runDue(): Promise<ScheduleOutcome> {
    const date = dueBusinessDate(this.#deps.clock.nowMs(), this.#cutOffMs);
    if (await scheduledRunExists(this.#deps.db, date)) return { kind: 'not-due' };
    const lock = await tryAcquireSessionLock(this.#deps.db, this.name, 5_000);
    if (!lock) return { kind: 'busy' };
    try {
      // Another process may have finished the day between the first look and the lock.
      if (await scheduledRunExists(this.#deps.db, date)) return { kind: 'not-due' };
      const report = await runReconciliation(this.#deps, date, { triggeredBy: 'schedule' });
      return { kind: 'reconciled', date, clean: report.clean };
    } catch (error) {
      if (!(error instanceof ReconciliationError)) throw error;
      this.#deps.logger.error({ businessDate: date, code: error.code, err: error }, 'scheduled reconciliation failed; will try again');
      return { kind: 'failed', date, code: error.code };
    } finally {
      await lock.release();
    }
  }
}

async function scheduledRunExists(db: Database, date: string): Promise<boolean> {
  const found = await db.query(`select 1 from reconciliation_reports where business_date = $1 and triggered_by = 'schedule' limit 1`, [
    date,
  ]);
  return found.rows.length > 0;
}
