import { databaseContract } from '../storage/database.contract.ts';
import { PgliteDatabase } from './pglite-database.ts';
import { PgliteWorkerDatabase } from './pglite-worker-database.ts';

databaseContract('PGlite in process (in memory)', () => PgliteDatabase.open());
databaseContract('PGlite in a worker thread (in memory)', () => PgliteWorkerDatabase.open());
