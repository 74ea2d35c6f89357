import { describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../storage-pglite/pglite-database.ts';
import { partitionForKey } from '../messaging/partitioner.ts';
import { PostgresLogBus } from './postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from './topic-admin.ts';

describe('appending to the table log', () => {
  it('appends messages of several topics and partitions in one call, each partition in order from its next offset', async () => {
    const db = await PgliteDatabase.open();
    try {
      const bus = await PostgresLogBus.open({ db });
      const spec = {
        replicationFactor: 1,
        minInsyncReplicas: 1,
        retentionMs: -1,
        cleanupPolicy: 'delete' as const,
        compression: 'producer' as const,
      };
      await new PostgresLogTopicAdmin(db).createTopics([
        { ...spec, name: 'test.a.v1', partitions: 4 },
        { ...spec, name: 'test.b.v1', partitions: 1 },
      ]);
      // Two keys of test.a.v1 that land in different partitions.
      const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'].map((key) => Buffer.from(key));
      const [first, second] = [keys[0]!, keys.find((key) => partitionForKey(key, 4) !== partitionForKey(keys[0]!, 4))!];
      await bus.publish([{ topic: 'test.a.v1', key: first, value: Buffer.from('earlier') }]);
      const headers = { h: Buffer.from('x') };
      await bus.publish([
        { topic: 'test.a.v1', key: first, value: Buffer.from('a1'), headers },
        { topic: 'test.b.v1', key: first, value: Buffer.from('b1') },
        { topic: 'test.a.v1', key: second, value: Buffer.from('a2') },
        { topic: 'test.a.v1', key: first, value: null },
        { topic: 'test.b.v1', key: second, value: Buffer.from('b2') },
      ]);
      const rows = await db.query<{
        topic: string;
        partition: number;
        offset: bigint;
        value: Uint8Array | null;
        headers: Record<string, string>;
      }>(`select topic, partition, "offset", value, headers from log_records order by topic, partition, "offset"`);
      const seen = rows.rows.map((row) => [
        row.topic,
        row.partition,
        row.offset,
        row.value === null ? null : Buffer.from(row.value).toString(),
      ]);
      expect(seen).toEqual(
        [
          ['test.a.v1', partitionForKey(first, 4), 0n, 'earlier'],
          ['test.a.v1', partitionForKey(first, 4), 1n, 'a1'],
          ['test.a.v1', partitionForKey(first, 4), 2n, null],
          ['test.a.v1', partitionForKey(second, 4), 0n, 'a2'],
          ['test.b.v1', 0, 0n, 'b1'],
          ['test.b.v1', 0, 1n, 'b2'],
        ].sort((x, y) => String(x[0]).localeCompare(String(y[0])) || Number(x[1]) - Number(y[1]) || Number(x[2]) - Number(y[2])),
      );
      expect(rows.rows.find((row) => row.offset === 1n && row.topic === 'test.a.v1')!.headers).toEqual({
        h: Buffer.from('x').toString('base64'),
      });
      const next = await db.query<{ topic: string; partition: number; next_offset: bigint }>(
        `select topic, partition, next_offset from log_partitions where next_offset > 0 order by topic, partition`,
      );
      expect(next.rows.map((row) => [row.topic, row.partition, row.next_offset])).toEqual(
        [
          ['test.a.v1', partitionForKey(first, 4), 3n],
          ['test.a.v1', partitionForKey(second, 4), 1n],
          ['test.b.v1', 0, 2n],
        ].sort((x, y) => String(x[0]).localeCompare(String(y[0])) || Number(x[1]) - Number(y[1])),
      );
      await bus.close();
    } finally {
      await db.close();
    }
  });
});
