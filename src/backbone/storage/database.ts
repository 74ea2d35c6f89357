/**
 * The storage port: the little of PostgreSQL that the backbone needs, implemented on a
 * PostgreSQL server (`storage-postgres/`, with `pg`) and on PGlite (`storage-pglite/`).
 *
 * Both adapters speak the same SQL (keep to what PostgreSQL 15 and PGlite's PostgreSQL 18 both
 * run) and return the same JavaScript types: int8 columns come back as `bigint`, bytea as `Buffer`,
 * timestamptz as `Date`, jsonb parsed.
 */
export interface SqlRunner {
  /** Runs one statement with `$1`-style parameters. */
  query<Row extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Runs a script of one or more statements without parameters (schema migrations). */
  exec(sql: string): Promise<void>;
}

export interface QueryResult<Row> {
  rows: Row[];
  /** Rows inserted, updated or deleted by the statement (0 for a select). */
  rowCount: number;
}

export interface Database extends SqlRunner {
  /**
   * What this engine does beyond the statements both adapters share, so callers branch on a
   * capability instead of on which adapter they were given. Fixed for the database's lifetime.
   */
  readonly capabilities: DatabaseCapabilities;
  /**
   * Runs `work` in one database transaction (READ COMMITTED) on one connection, committing when it
   * resolves and rolling back when it throws. Nothing `work` writes is visible to others before the
   * commit; a crash before it leaves nothing behind.
   */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel` (sent with `pg_notify` inside a transaction, so it
   * arrives only once that transaction commits). Notifications are wake-ups, not messages: one may
   * stand for many commits, and one sent while the connection was down is lost, so a listener must
   * re-read its state after `onNotify` and after a reconnect.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<Unlisten>;
  /**
   * Holds a connection of its own for session-scoped state such as advisory locks. The session ends
   * (and its locks are released by the server) when `release` is called or the process dies.
   */
  session(): Promise<DatabaseSession>;
  close(): Promise<void>;
}

export interface DatabaseCapabilities {
  /**
   * Each `session()` is a connection of its own, so a session-level advisory lock taken on one
   * excludes every other session, in this process and in others, until its holder releases it or
   * its connection ends. False on PGlite: one connection serves the whole process, so every
   * session shares its advisory locks (and no other process can open the same data directory).
   */
  readonly crossSessionAdvisoryLocks: boolean;
  /**
   * The engine has an autovacuum daemon that vacuums and analyses its tables by itself (a
   * PostgreSQL server; whether its settings leave it on is for the owner to check and warn about).
   * False on PGlite, which has none: whoever owns the database must vacuum it.
   */
  readonly autovacuumDaemon: boolean;
}

export type Unlisten = () => Promise<void>;

export interface DatabaseSession extends SqlRunner {
  release(): Promise<void>;
}
