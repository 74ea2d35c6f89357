import type { Database, SqlRunner } from '../storage/database.ts';

export interface DatabaseObserver {
  /** Called for every parameterised statement, inside transactions too, before it is sent. */
  onStatement?(sql: string, params: readonly unknown[]): void;
  /** Called as each transaction begins. */
  onTransaction?(): void;
}

/**
 * `db`, passing everything through unchanged and telling `observer` what goes by: for tests and
 * benchmarks that count or inspect the statements of the code under test without changing it.
 */
export function observedDatabase(db: Database, observer: DatabaseObserver): Database {
  const observed = (runner: SqlRunner): SqlRunner => ({
    query: <Row extends object>(sql: string, params?: readonly unknown[]) => {
      observer.onStatement?.(sql, params ?? []);
      return runner.query<Row>(sql, params);
    },
    exec: (sql) => runner.exec(sql),
  });
  const direct = observed(db);
  return {
    capabilities: db.capabilities,
    query: direct.query,
    exec: direct.exec,
    transaction: (work) => {
      observer.onTransaction?.();
      return db.transaction((tx) => work(observed(tx)));
    },
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    session: () => db.session(),
    close: () => db.close(),
  };
}
