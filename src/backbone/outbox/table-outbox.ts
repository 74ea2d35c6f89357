import type { OutgoingMessage } from '../messaging/event-bus.ts';
import type { SqlRunner } from '../storage/database.ts';
import { encodeHeaders } from '../messaging/headers.ts';
import type { Outbox } from './outbox.ts';
import { assertIdentifier, defaultOutboxTable, type OutboxTable } from './migrations.ts';

/**
 * The outbox as a table in the service's own database; `OutboxRelay` publishes it. One statement of
 * fixed text per write, whatever the number of messages: the rows go in as one array per column,
 * in the messages' order (the ids the relay publishes by), and the same round trip wakes the relay
 * (the notification is delivered at commit).
 */
export class TableOutbox implements Outbox {
  readonly #where: Pick<OutboxTable, 'table' | 'channel'>;

  /** The event bus's outbox by default; `where` names another outbox table and its channel. */
  constructor(where: Pick<OutboxTable, 'table' | 'channel'> = defaultOutboxTable) {
    assertIdentifier(where.table);
    this.#where = where;
  }

  async write(tx: SqlRunner, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await tx.query(
      `with written as (
         insert into ${this.#where.table} (topic, key, value, headers)
           select topic, key, value, headers::jsonb
             from unnest($1::text[], $2::bytea[], $3::bytea[], $4::text[]) with ordinality as m(topic, key, value, headers, position)
            order by position)
       select pg_notify($5, '')`,
      [
        messages.map((m) => m.topic),
        messages.map((m) => m.key),
        messages.map((m) => m.value),
        messages.map((m) => encodeHeaders(m.headers)),
        this.#where.channel,
      ],
    );
  }
}
