import { eventBusContract } from '../messaging/event-bus.contract.ts';
import { PgliteDatabase } from '../storage-pglite/pglite-database.ts';
import { PostgresLogBus } from './postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from './topic-admin.ts';
import { slowAppendHarnessPart } from './testing.ts';

// The embedded engine as `npm start` runs it: the log in PGlite, in this process (in memory here).
eventBusContract('postgres log on PGlite', async () => {
  const db = await PgliteDatabase.open();
  const bus = await PostgresLogBus.open({ db, timings: { standbyRetryMs: 50 } });
  const admin = new PostgresLogTopicAdmin(db);
  return {
    bus,
    // PGlite is one process's database: "another process" is another bus on the same database.
    openAnotherBus: () => PostgresLogBus.open({ db, timings: { standbyRetryMs: 50 } }),
    createTopic: (name, partitions) =>
      admin.createTopics([
        { name, partitions, replicationFactor: 1, minInsyncReplicas: 1, retentionMs: -1, cleanupPolicy: 'delete', compression: 'producer' },
      ]),
    ...slowAppendHarnessPart,
    close: async () => {
      await bus.close();
      await db.close();
    },
  };
});
