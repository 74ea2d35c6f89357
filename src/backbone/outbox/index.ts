export type { Outbox } from './outbox.ts';
export { TableOutbox } from './table-outbox.ts';
export { OutboxRelay, type OutboxRelayOptions, type OutboxBacklog } from './outbox-relay.ts';
export { outboxMigrations, outboxTableSql, defaultOutboxTable, type OutboxTable } from './migrations.ts';
