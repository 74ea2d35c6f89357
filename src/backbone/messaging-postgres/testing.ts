import type { EventBus, OutgoingMessage } from '../messaging/event-bus.ts';
import { PostgresLogBus } from './postgres-log-bus.ts';

/** Test support shared by the engine's contract runs: an append held open before it commits. */
export const slowAppendHarnessPart = {
  async publishSlowly(bus: EventBus, messages: readonly OutgoingMessage[], holdMs: number): Promise<void> {
    if (!(bus instanceof PostgresLogBus)) throw new Error('publishSlowly needs a PostgresLogBus');
    await bus.db.transaction(async (tx) => {
      await bus.appendInTransaction(tx, messages);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
    });
  },
};
