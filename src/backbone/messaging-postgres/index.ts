export { PostgresLogBus, type PostgresLogBusOptions } from './postgres-log-bus.ts';
export { PostgresLogTopicAdmin } from './topic-admin.ts';
export { eventLogMigrations } from './migrations.ts';
export { LogOutbox } from './log-outbox.ts';
export { pruneExpiredRecords } from './retention.ts';
