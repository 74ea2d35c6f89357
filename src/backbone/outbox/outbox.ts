import type { OutgoingMessage } from '../messaging/event-bus.ts';
import type { SqlRunner } from '../storage/database.ts';

/**
 * The transactional outbox port: messages written with `write` are published if and only if the
 * transaction `tx` commits, in the order written per key.
 *
 * Two implementations: `TableOutbox` (rows in an outbox table that `OutboxRelay` publishes to
 * Kafka) and, in the embedded engine, the event log itself (`PostgresLogBus.appendInTransaction`),
 * where writing to the outbox already is publishing.
 */
export interface Outbox {
  write(tx: SqlRunner, messages: readonly OutgoingMessage[]): Promise<void>;
}
