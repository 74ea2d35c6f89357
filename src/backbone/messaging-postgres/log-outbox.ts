import type { OutgoingMessage } from '../messaging/event-bus.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { SqlRunner } from '../storage/database.ts';
import type { PostgresLogBus } from './postgres-log-bus.ts';

/**
 * The embedded engine's outbox: the event log lives in the same database as the consumers'
 * state, so appending to it inside the consumer's transaction already is an atomic publish.
 * No relay, no second copy.
 */
export class LogOutbox implements Outbox {
  readonly #bus: PostgresLogBus;

  constructor(bus: PostgresLogBus) {
    this.#bus = bus;
  }

  write(tx: SqlRunner, messages: readonly OutgoingMessage[]): Promise<void> {
    return this.#bus.appendInTransaction(tx, messages);
  }
}
