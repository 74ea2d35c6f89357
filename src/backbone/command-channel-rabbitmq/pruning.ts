import type { Database } from '../storage/database.ts';

/**
 * How long a participant remembers the commands it handled. It must outlast every way a command
 * can arrive twice: the relay sending again after a crash (seconds), the broker redelivering what
 * a dropped connection held (as long as the reconnect takes); a week leaves room for an outage.
 */
export const handledCommandsRetentionMsDefault = 7 * 86_400_000;

/**
 * Forgets the handled commands older than the window; returns how many. Run it hourly or daily.
 * Resolves 0 where the channel's tables were never created (a process that runs no saga on RabbitMQ).
 */
export async function pruneHandledCommands(db: Database, nowMs: number, retentionMs = handledCommandsRetentionMsDefault): Promise<number> {
  const exists = await db.query<{ found: boolean }>(`select to_regclass('saga_command_handled') is not null as found`);
  if (!exists.rows[0]?.found) return 0;
  const deleted = await db.query(`delete from saga_command_handled where handled_at < $1`, [new Date(nowMs - retentionMs)]);
  return deleted.rowCount;
}
