export { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database.ts';
