export type { Database, DatabaseCapabilities, DatabaseSession, QueryResult, SqlRunner, Unlisten } from './database.ts';
export { migrate, type Migration } from './migrate.ts';
export { tryAcquireSessionLock, type HeldSessionLock } from './session-lock.ts';
