import { eventBusContract } from '../messaging/event-bus.contract.ts';
import { PostgresLogBus } from '../messaging-postgres/postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from '../messaging-postgres/topic-admin.ts';
import { slowAppendHarnessPart } from '../messaging-postgres/testing.ts';
import { PgliteWorkerDatabase } from './pglite-worker-database.ts';

// The embedded engine with PGlite in a worker thread (in memory here): the same contract as the
// in-process run in messaging-postgres/, proving the worker protocol keeps the log's semantics
// (transactions held open across awaits, notifications after commit, bytea keys and values).
eventBusContract('postgres log on PGlite in a worker thread', async () => {
  const db = await PgliteWorkerDatabase.open();
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
