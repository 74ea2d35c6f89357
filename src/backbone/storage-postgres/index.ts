export { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database.ts';
export { autovacuumProblem, readVacuumSettings, type VacuumSettings } from './vacuum-settings.ts';
