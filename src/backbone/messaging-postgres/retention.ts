import type { Database } from '../storage/database.ts';

/**
 * Deletes records older than their topic's `retention.ms` (as Kafka does: by age, whether or not
 * every group has read them; -1 keeps them forever). Offsets are never reused: `next_offset` stays,
 * so a consumer behind the retention window resumes at the oldest record left.
 * Returns the number of records deleted.
 */
export async function pruneExpiredRecords(db: Database, nowMs: number): Promise<number> {
  const result = await db.query(
    `delete from log_records r using log_topics t
      where r.topic = t.topic
        and (t.configs->>'retention.ms')::bigint >= 0
        and r.appended_at < to_timestamp(($1::float8 - (t.configs->>'retention.ms')::float8) / 1000.0)`,
    [nowMs],
  );
  return result.rowCount;
}
