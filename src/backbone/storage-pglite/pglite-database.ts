import { PGlite, types } from '@electric-sql/pglite';
import type { Database, DatabaseCapabilities, DatabaseSession, QueryResult, SqlRunner, Unlisten } from '../storage/database.ts';
import { acquireDataDirLock, releaseDataDirLock } from './data-dir-lock.ts';

export interface PgliteDatabaseOptions {
  /** Data directory on disk; omit for a database in memory (unit tests). */
  dataDir?: string;
}

/** Same JavaScript types as the `pg` adapter: int8 as bigint, bytea as Buffer. */
const parsers = {
  [types.INT8]: (value: string) => BigInt(value),
  [types.BYTEA]: (value: string) => Buffer.from(value.slice(2), 'hex'),
};

/**
 * The storage port on PGlite: PostgreSQL compiled to WebAssembly, running in this process.
 *
 * What to know before relying on it (measured, see README):
 * - It never fsyncs: committed data survives a crash of this process, not a power loss.
 *   Production runs on a PostgreSQL server.
 * - Queries run on the calling thread and block the event loop while they run; where that matters
 *   (an HTTP API in the same process), use `PgliteWorkerDatabase`, which hosts this adapter in a
 *   worker thread.
 * - It does not lock its data directory, and a second process opening it silently diverges;
 *   this adapter refuses a directory whose lock file names another live process.
 * - There is one connection: transactions are serialised, and session state (advisory locks) is
 *   shared by the whole process.
 */
export class PgliteDatabase implements Database {
  readonly capabilities: DatabaseCapabilities = { crossSessionAdvisoryLocks: false, autovacuumDaemon: false };
  readonly #pglite: PGlite;
  readonly #lockFile: string | undefined;

  private constructor(pglite: PGlite, lockFile: string | undefined) {
    this.#pglite = pglite;
    this.#lockFile = lockFile;
  }

  static async open(options: PgliteDatabaseOptions = {}): Promise<PgliteDatabase> {
    let lockFile: string | undefined;
    if (options.dataDir) lockFile = acquireDataDirLock(options.dataDir);
    try {
      const pglite = await PGlite.create(options.dataDir ? { dataDir: options.dataDir, parsers } : { parsers });
      return new PgliteDatabase(pglite, lockFile);
    } catch (error) {
      if (lockFile) releaseDataDirLock(lockFile);
      throw error;
    }
  }

  query<Row extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return runQuery<Row>(this.#pglite, sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.#pglite.exec(sql);
  }

  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#pglite.transaction((tx) =>
      work({
        query: <Row extends object>(sql: string, params?: readonly unknown[]) => runQuery<Row>(tx, sql, params),
        exec: async (sql: string) => void (await tx.exec(sql)),
      }),
    );
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<Unlisten> {
    const unlisten = await this.#pglite.listen(channel, onNotify);
    return () => unlisten();
  }

  async session(): Promise<DatabaseSession> {
    // One connection only: the "session" is the database itself, shared by the whole process.
    return { query: (sql, params) => this.query(sql, params), exec: (sql) => this.exec(sql), release: async () => {} };
  }

  async close(): Promise<void> {
    if (!this.#pglite.closed) await this.#pglite.close();
    if (this.#lockFile) releaseDataDirLock(this.#lockFile);
  }
}

interface Queryable {
  query<T>(query: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
}

async function runQuery<Row>(target: Queryable, sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
  const result = await target.query<Row>(sql, params ? [...params] : undefined);
  return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
}
