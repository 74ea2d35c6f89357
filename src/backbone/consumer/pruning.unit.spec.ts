import { describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../storage-pglite/pglite-database.ts';
import { migrate } from '../storage/migrate.ts';
import { consumerMigrations } from './migrations.ts';
import { pruneProcessedEvents } from './pruning.ts';

describe('pruneProcessedEvents', () => {
  it('forgets ids older than the window only', async () => {
    const db = await PgliteDatabase.open();
    try {
      await migrate(db, 'consumer', consumerMigrations);
      await db.query(
        `insert into consumer_processed_events (consumer, event_id, processed_at) values ('c', 'old', now() - interval '40 days'), ('c', 'recent', now() - interval '1 day')`,
      );
      expect(await pruneProcessedEvents(db, Date.now())).toBe(1);
      const left = await db.query<{ event_id: string }>(`select event_id from consumer_processed_events`);
      expect(left.rows.map((row) => row.event_id)).toEqual(['recent']);
    } finally {
      await db.close();
    }
  });
});
