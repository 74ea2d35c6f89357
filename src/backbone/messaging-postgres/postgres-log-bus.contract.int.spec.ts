import { eventBusContract } from '../messaging/event-bus.contract.ts';
import { PostgresDatabase } from '../storage-postgres/postgres-database.ts';
import { PostgresLogBus } from './postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from './topic-admin.ts';
import { slowAppendHarnessPart } from './testing.ts';
import { createTestDatabase, describeWithPostgres } from '../../../test/support/engines.ts';

// The embedded engine's log on a PostgreSQL server: several processes (here, several pools) share
// it, one active member per group, and concurrent appenders really race for the partition locks.
describeWithPostgres('postgres log on a PostgreSQL server', () => {
  eventBusContract('postgres log on PostgreSQL', async () => {
    const database = await createTestDatabase('log_contract');
    const pools: PostgresDatabase[] = [];
    const open = async () => {
      const db = new PostgresDatabase({ connectionString: database.url, poolSize: 20 });
      pools.push(db);
      return PostgresLogBus.open({ db, timings: { standbyRetryMs: 50, livenessCheckMs: 500 } });
    };
    const bus = await open();
    const admin = new PostgresLogTopicAdmin(bus.db);
    const buses = [bus];
    return {
      bus,
      openAnotherBus: async () => {
        const other = await open();
        buses.push(other);
        return other;
      },
      createTopic: (name, partitions) =>
        admin.createTopics([
          {
            name,
            partitions,
            replicationFactor: 1,
            minInsyncReplicas: 1,
            retentionMs: -1,
            cleanupPolicy: 'delete',
            compression: 'producer',
          },
        ]),
      ...slowAppendHarnessPart,
      close: async () => {
        await Promise.all(buses.map((b) => b.close()));
        await Promise.all(pools.map((db) => db.close()));
        await database.drop();
      },
    };
  });
});
