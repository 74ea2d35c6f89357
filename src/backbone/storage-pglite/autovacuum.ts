import type { Database } from '../storage/database.ts';
import { systemClock, type Clock } from '../clock/clock.ts';

export interface EmbeddedAutovacuumOptions {
  db: Database;
  clock?: Clock;
  /** Shortest pause between two runs, and the pause before the first. Default 30 s. */
  minIntervalMs?: number;
  /** Longest pause between two runs. Default 10 min. */
  maxIntervalMs?: number;
  /**
   * The pause after a run is this many times the run's duration (clamped to the two bounds above),
   * so vacuuming takes at most 1/(1+N) of the single connection's time. Default 50 (2 %).
   */
  pauseToRunRatio?: number;
  /** Called after each run (for logs and tests). */
  onRun?: (run: { durationMs: number }) => void;
  onError?: (error: unknown) => void;
}

/**
 * What PostgreSQL's autovacuum daemon does on a server, for the embedded database, which has none
 * (PGlite runs PostgreSQL single-user, without background workers, and keeps no table statistics
 * counters to decide from): runs `VACUUM (ANALYZE)` on every table of the database, again and again.
 *
 * - ANALYZE gives the planner the tables' sizes and value distributions. Without it, a table the
 *   platform filled since it started keeps the planner's guesses for an empty one, and lookups by
 *   key it thinks cheap to scan get slower with every row the table gains (sequential scans of
 *   `ledger_holds`, `payments`, `fraud_scores` were seen on each batch).
 * - VACUUM reclaims the rows that updates and deletes left behind (the positions, balances and
 *   statuses updated on every batch, the audit trail's staging rows), so those tables and their
 *   indexes stop growing, and keeps the transaction-id horizon moving.
 *
 * PGlite has one connection: while VACUUM runs, every other statement waits. So each table is a
 * statement of its own (the platform's statements take turns with the tables, instead of waiting
 * for the whole database), and the pause after a run is a multiple of how long it took: the work
 * stays a small, bounded share of the database's time however large the database grows, and runs
 * come often while it is small and cheap.
 */
export class EmbeddedAutovacuum {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #minIntervalMs: number;
  readonly #maxIntervalMs: number;
  readonly #ratio: number;
  readonly #onRun: ((run: { durationMs: number }) => void) | undefined;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: EmbeddedAutovacuumOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? systemClock;
    this.#minIntervalMs = options.minIntervalMs ?? 30_000;
    this.#maxIntervalMs = options.maxIntervalMs ?? 600_000;
    this.#ratio = options.pauseToRunRatio ?? 50;
    this.#onRun = options.onRun;
    this.#onError = options.onError;
    if (this.#minIntervalMs <= 0 || this.#maxIntervalMs < this.#minIntervalMs || this.#ratio <= 0) {
      throw new Error('EmbeddedAutovacuum: need 0 < minIntervalMs <= maxIntervalMs and pauseToRunRatio > 0');
    }
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops; resolves once a run in progress has finished (the database may be closed after). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let pauseMs = this.#minIntervalMs;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await this.#clock.sleep(pauseMs, signal);
      if (signal.aborted) return;
      const startedMs = performance.now();
      try {
        await this.#vacuumEachTable(signal);
        const durationMs = performance.now() - startedMs;
        this.#onRun?.({ durationMs });
        pauseMs = Math.min(this.#maxIntervalMs, Math.max(this.#minIntervalMs, durationMs * this.#ratio));
      } catch (error) {
        // The database closed under us, or refused: try again after the longest pause.
        if (signal.aborted) return;
        this.#onError?.(error);
        pauseMs = this.#maxIntervalMs;
      }
    }
  }

  /** One statement per table, so the statements of the platform run between two tables' turns. */
  async #vacuumEachTable(signal: AbortSignal): Promise<void> {
    const tables = await this.#db.query<{ name: string }>(
      `select format('%I.%I', n.nspname, c.relname) as name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'm') and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
        order by 1`,
    );
    for (const { name } of tables.rows) {
      if (signal.aborted) return;
      await this.#db.exec(`vacuum (analyze) ${name}`);
    }
  }
}
