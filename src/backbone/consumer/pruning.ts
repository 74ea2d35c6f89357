import type { Database } from '../storage/database.ts';
import { ConsumerStore } from './consumer-store.ts';

/**
 * The deduplication window: processed event ids older than this are forgotten. It must outlast
 * every way an event can arrive twice — a relay republishing after a crash (seconds), a consumer
 * group rewound by an operator, a dead letter replayed again (`dlq` retention, 30 days by default)
 * — so the default matches the dead-letter retention.
 */
export const processedEventsRetentionMsDefault = 30 * 86_400_000;

/** Deletes processed event ids older than the window; returns how many. Run it daily. */
export async function pruneProcessedEvents(db: Database, nowMs: number, retentionMs = processedEventsRetentionMsDefault): Promise<number> {
  return ConsumerStore.deleteProcessedIdsBefore(db, nowMs - retentionMs);
}
