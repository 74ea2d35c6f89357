import { describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../storage-pglite/pglite-database.ts';
import { PostgresLogBus } from './postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from './topic-admin.ts';
import { pruneExpiredRecords } from './retention.ts';

describe('log retention', () => {
  it('deletes records older than the topic retention and keeps offsets moving forward', async () => {
    const db = await PgliteDatabase.open();
    try {
      const bus = await PostgresLogBus.open({ db });
      const admin = new PostgresLogTopicAdmin(db);
      const spec = {
        partitions: 1,
        replicationFactor: 1,
        minInsyncReplicas: 1,
        cleanupPolicy: 'delete' as const,
        compression: 'producer' as const,
      };
      await admin.createTopics([
        { ...spec, name: 'test.short.v1', retentionMs: 60_000 },
        { ...spec, name: 'test.forever.v1', retentionMs: -1 },
      ]);
      const message = (topic: string) => ({ topic, key: Buffer.from('k'), value: Buffer.from('v') });
      await bus.publish([message('test.short.v1'), message('test.short.v1'), message('test.forever.v1')]);
      const hourLaterMs = Date.now() + 3_600_000;
      expect(await pruneExpiredRecords(db, Date.now())).toBe(0);
      expect(await pruneExpiredRecords(db, hourLaterMs)).toBe(2);
      await bus.publish([message('test.short.v1')]);
      const rows = await db.query<{ topic: string; offset: bigint }>(`select topic, "offset" from log_records order by topic`);
      expect(rows.rows).toEqual([
        { topic: 'test.forever.v1', offset: 0n },
        { topic: 'test.short.v1', offset: 2n },
      ]);
      await bus.close();
    } finally {
      await db.close();
    }
  });
});
