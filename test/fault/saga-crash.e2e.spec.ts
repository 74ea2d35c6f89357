/**
 * The saga orchestrator under kill -9 (issue 15): a process running the orchestrator and its
 * participants (test/fault/saga-process.ts) is killed at every step and compensation of the
 * example saga, inside the transition's transaction (`saga.before-commit`), after a compensation's
 * backoff timer committed (`saga.timer-after-commit`), after a consumer's transaction committed
 * (`consumer.after-commit`) and, on Kafka, after the relay published (`relay.after-publish`). Each
 * crashing process starts a batch of sagas of its own, so every point has work to reach. A last
 * process finishes the work. Then every saga has ended as its participants decided, each command
 * was carried out once, in the saga's order, and each saga ended once.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import { KafkaTopicAdmin } from '../../src/backbone/messaging-kafka/kafka-topic-admin.ts';
import { PostgresLogTopicAdmin } from '../../src/backbone/messaging-postgres/topic-admin.ts';
import { PostgresLogBus } from '../../src/backbone/messaging-postgres/postgres-log-bus.ts';
import { defineTopic } from '../../src/backbone/topics/define-topic.ts';
import { ensureTopics } from '../../src/backbone/topics/apply-topics.ts';
import { withFailureTopics } from '../../src/backbone/topics/failure-topics.ts';
import { capReplication } from '../../src/backbone/topics/define-topic.ts';
import { eventually } from '../../src/backbone/testing/embedded-fixture.ts';
import { createTestDatabase, hasKafka, hasPostgres, kafkaBrokers, uniqueName, type TestDatabase } from '../support/engines.ts';
import { sagaCrashDefinition } from './saga-crash-definition.ts';
import { exitOf, startChild, stopChildren } from './child-processes.ts';

type Engine = 'kafka' | 'postgres';
const sagaProcess = fileURLToPath(new URL('./saga-process.ts', import.meta.url));
const sagasPerCrash = 24;

interface Crash {
  point: string;
  detail?: string;
}

const everyStepAndCompensation: Crash[] = [
  { point: 'saga.before-commit', detail: 'crash/RESERVE' },
  { point: 'saga.before-commit', detail: 'crash/CHARGE' },
  { point: 'saga.before-commit', detail: 'crash/SHIP' },
  { point: 'saga.before-commit', detail: 'crash/REFUND' },
  { point: 'saga.before-commit', detail: 'crash/RELEASE' },
  { point: 'saga.timer-after-commit', detail: 'crash/REFUND' },
  { point: 'consumer.after-commit' },
];

describe.each<Engine>(['kafka', 'postgres'])('saga orchestrator under kill -9 on %s', (engine) => {
  let database: TestDatabase | undefined;
  const children = new Set<ChildProcess>();

  afterEach(async () => {
    await stopChildren(children);
    await database?.drop();
    database = undefined;
  });

  it(
    'ends every saga as its participants decided, each command carried out once, after kill -9 at every step and compensation',
    {
      timeout: 300_000,
    },
    async (context) => {
      if (!hasPostgres() || (engine === 'kafka' && !hasKafka())) return context.skip('needs PostgreSQL and Kafka');
      database = await createTestDatabase('saga_crash');
      const prefix = uniqueName('sc').replace(/[^a-z0-9]/g, '');
      const db = new PostgresDatabase({ connectionString: database.url, poolSize: 2 });
      try {
        await createTopics(engine, db, prefix);
        const crashes = engine === 'kafka' ? [...everyStepAndCompensation, { point: 'relay.after-publish' }] : everyStepAndCompensation;
        let started = 0;
        for (const crash of crashes) {
          const child = await startProcess(engine, database.url, prefix, { from: started, to: started + sagasPerCrash }, crash);
          started += sagasPerCrash;
          expect(await exitOf(child, 90_000), `a process should have crashed at ${crash.point} ${crash.detail ?? ''}`).toBe('SIGKILL');
        }
        await startProcess(engine, database.url, prefix, { from: 0, to: started }, undefined);
        await eventually(
          async () => {
            const open = await db.query(`select 1 from saga_instances where status not in ('COMPLETED', 'COMPENSATED') limit 1`);
            const all = await db.query<{ n: bigint }>(`select count(*)::int8 as n from saga_instances`);
            return open.rows.length === 0 && Number(all.rows[0]!.n) === started;
          },
          `all ${started} sagas to end`,
          120_000,
        );
        await assertEveryEffectOnce(db, prefix, started);
      } finally {
        await db.close();
      }
    },
  );

  async function startProcess(
    engineName: Engine,
    databaseUrl: string,
    prefix: string,
    sagas: { from: number; to: number },
    crash: Crash | undefined,
  ): Promise<ChildProcess> {
    return startChild(
      sagaProcess,
      {
        ENGINE: engineName,
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: engineName === 'kafka' ? kafkaBrokers().join(',') : '',
        PREFIX: prefix,
        START_FROM: String(sagas.from),
        START_TO: String(sagas.to),
        CRASH_POINT: crash?.point ?? 'none',
        ...(crash?.detail === undefined ? {} : { CRASH_DETAIL: crash.detail }),
        CRASH_AFTER: String(1 + Math.floor(Math.random() * 2)),
      },
      children,
    );
  }
});

async function createTopics(engine: Engine, db: PostgresDatabase, prefix: string): Promise<void> {
  const definition = sagaCrashDefinition(prefix);
  const names = [...definition.steps.map((step) => step.commandTopic), `${prefix}.replies.v1`];
  const specs = names.flatMap((name) => withFailureTopics(defineTopic({ name, partitions: 4 }), { retryDelaysMs: [] }));
  if (engine === 'kafka') {
    await ensureTopics(new KafkaTopicAdmin({ bootstrapBrokers: kafkaBrokers() }), capReplication(specs, 1));
  } else {
    const bus = await PostgresLogBus.open({ db }); // creates the log's tables
    await ensureTopics(new PostgresLogTopicAdmin(db), specs);
    await bus.close();
  }
}

/** What each saga's participants did, in order, given how saga i was told to go (see saga-process.ts). */
async function assertEveryEffectOnce(db: PostgresDatabase, prefix: string, count: number): Promise<void> {
  const effects = await db.query<{ saga_id: string; names: string[] }>(
    `select saga_id, array_agg(name order by seq) as names from saga_effects group by saga_id`,
  );
  const bySaga = new Map(effects.rows.map((row) => [row.saga_id, row.names]));
  const ends = await db.query<{ saga_id: string; status: string; ends: bigint }>(
    `select i.saga_id, i.status, (select count(*) from saga_history h where h.saga_id = i.saga_id
        and h.event_type in ('SagaCompleted', 'SagaCompensated'))::int8 as ends from saga_instances i`,
  );
  const mismatches: string[] = [];
  for (const row of ends.rows) {
    const index = Number(row.saga_id.split('-').at(-1));
    const expected =
      index % 3 === 1
        ? { status: 'COMPENSATED', names: ['RESERVE', 'RELEASE'] }
        : index % 3 === 0
          ? { status: 'COMPENSATED', names: ['RESERVE', 'CHARGE', 'REFUND', 'RELEASE'] }
          : { status: 'COMPLETED', names: ['RESERVE', 'CHARGE', 'SHIP'] };
    const names = bySaga.get(row.saga_id) ?? [];
    if (row.status !== expected.status || Number(row.ends) !== 1 || names.join() !== expected.names.join())
      mismatches.push(
        `${row.saga_id}: ${row.status}, ended ${row.ends} times, effects ${names.join(' ')} (expected ${expected.names.join(' ')})`,
      );
  }
  expect(mismatches).toEqual([]);
  expect(ends.rows).toHaveLength(count);
  expect(ends.rows.every((row) => row.saga_id.startsWith(`${prefix}-`))).toBe(true);
}
