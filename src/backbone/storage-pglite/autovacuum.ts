import type { Database } from '../storage/database.ts';
import { NotifiedLoop } from '../concurrency/notified-loop.ts';

export interface EmbeddedAutovacuumOptions {
  db: Database;
  /** Shortest pause between two runs, and the pause before the first. Default 30 s. */
  minIntervalMs?: number;
  /** Longest pause between two runs, and the pause after a run that failed. Default 10 min. */
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

type Bounds = Required<Pick<EmbeddedAutovacuumOptions, 'minIntervalMs' | 'maxIntervalMs' | 'pauseToRunRatio'>>;

/** The pause after a run that took `durationMs`: `pauseToRunRatio` times it, within the bounds. */
export function pauseAfterRun(durationMs: number, bounds: Bounds): number {
  return Math.min(bounds.maxIntervalMs, Math.max(bounds.minIntervalMs, durationMs * bounds.pauseToRunRatio));
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
 * come often while it is small and cheap. Runs on a `NotifiedLoop` without a channel: a round is a
 * run, and returns its pause.
 */
export class EmbeddedAutovacuum {
  readonly #db: Database;
  readonly #bounds: Bounds;
  readonly #onRun: ((run: { durationMs: number }) => void) | undefined;
  readonly #loop: NotifiedLoop;

  constructor(options: EmbeddedAutovacuumOptions) {
    this.#db = options.db;
    this.#bounds = {
      minIntervalMs: options.minIntervalMs ?? 30_000,
      maxIntervalMs: options.maxIntervalMs ?? 600_000,
      pauseToRunRatio: options.pauseToRunRatio ?? 50,
    };
    const { minIntervalMs, maxIntervalMs, pauseToRunRatio } = this.#bounds;
    if (minIntervalMs <= 0 || maxIntervalMs < minIntervalMs || pauseToRunRatio <= 0) {
      throw new Error('EmbeddedAutovacuum: need 0 < minIntervalMs <= maxIntervalMs and pauseToRunRatio > 0');
    }
    this.#onRun = options.onRun;
    const onError = options.onError;
    // The first run waits the shortest pause: vacuuming a database that just opened would find nothing to do.
    this.#loop = new NotifiedLoop({
      db: options.db,
      round: () => this.#round(),
      firstRoundAfterMs: minIntervalMs,
      failureBackoffMs: maxIntervalMs,
      onError: (error) => onError?.(error),
    });
  }

  start(): void {
    void this.#loop.start();
  }

  /** Stops; resolves once a run in progress has finished (the database may be closed after). */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #round(): Promise<number> {
    const startedMs = performance.now();
    await this.#vacuumEachTable();
    const durationMs = performance.now() - startedMs;
    this.#onRun?.({ durationMs });
    return pauseAfterRun(durationMs, this.#bounds);
  }

  /** One statement per table, so the statements of the platform run between two tables' turns. */
  async #vacuumEachTable(): Promise<void> {
    const tables = await this.#db.query<{ name: string }>(
      `select format('%I.%I', n.nspname, c.relname) as name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'm') and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
        order by 1`,
    );
    for (const { name } of tables.rows) {
      if (this.#loop.stopping) return;
      await this.#db.exec(`vacuum (analyze) ${name}`);
    }
  }
}
