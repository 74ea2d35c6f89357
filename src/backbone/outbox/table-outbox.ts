import type { OutgoingMessage } from '../messaging/event-bus.ts';
import type { SqlRunner } from '../storage/database.ts';
import { encodeHeaders } from '../messaging/headers.ts';
import type { Outbox } from './outbox.ts';
import { outboxChannel } from './schema.ts';

const rowsPerInsert = 1000;

/** The outbox as a table in the service's own database; `OutboxRelay` publishes it. */
export class TableOutbox implements Outbox {
  async write(tx: SqlRunner, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    for (let start = 0; start < messages.length; start += rowsPerInsert) {
      const params: unknown[] = [];
      const rows = messages.slice(start, start + rowsPerInsert).map((message) => {
        params.push(message.topic, message.key, message.value, encodeHeaders(message.headers));
        const p = params.length;
        return `($${p - 3}, $${p - 2}, $${p - 1}, $${p}::jsonb)`;
      });
      const insert = `insert into outbox (topic, key, value, headers) values ${rows.join(', ')}`;
      if (start + rowsPerInsert < messages.length) {
        await tx.query(insert, params);
        continue;
      }
      // The last insert also wakes the relay (delivered at commit), in the same round trip.
      params.push(outboxChannel);
      await tx.query(`with written as (${insert}) select pg_notify($${params.length}, '')`, params);
    }
  }
}
