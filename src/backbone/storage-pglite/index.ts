export { PgliteDatabase, type PgliteDatabaseOptions } from './pglite-database.ts';
export { PgliteWorkerDatabase, type PgliteWorkerDatabaseOptions } from './pglite-worker-database.ts';
export { EmbeddedAutovacuum, type EmbeddedAutovacuumOptions } from './autovacuum.ts';
