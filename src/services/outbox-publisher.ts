import type { EventEncoder } from '../backbone/envelope/event-encoder.ts';
import type { Outbox } from '../backbone/outbox/outbox.ts';
import type { SqlRunner } from '../backbone/storage/database.ts';
import type { CausedEvent, EventPublisher } from './service.ts';

/** The `EventPublisher` on the outbox port: encode each event with its envelope, write them in `tx`. */
export function outboxPublisher(encoder: EventEncoder, outbox: Outbox): EventPublisher {
  const publishEach = async (tx: SqlRunner, events: readonly CausedEvent[]) => {
    if (events.length === 0) return;
    const messages = await Promise.all(events.map(async ({ event, cause }) => (await encoder.encode(event, cause)).message));
    await outbox.write(tx, messages);
  };
  return {
    publish: (tx, events, cause) =>
      publishEach(
        tx,
        events.map((event) => ({ event, cause })),
      ),
    publishEach,
  };
}
