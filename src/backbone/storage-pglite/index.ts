export { PgliteDatabase, type PgliteDatabaseOptions } from './pglite-database.ts';
