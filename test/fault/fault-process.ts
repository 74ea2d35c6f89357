/**
 * What every crash-test child process (stage-process.ts, saga-process.ts, loan-saga-process.ts)
 * sets up the same way: a crash injector from the environment, and the engine's database, bus and
 * outbox (with its relay on Kafka).
 *
 *   ENGINE=kafka|postgres  DATABASE_URL  KAFKA_BROKERS  NAMESPACE (optional, Kafka topics' run namespace)
 *   CRASH_POINT=<a fault point>|none  CRASH_DETAIL (optional: only where reached with that detail)
 *   CRASH_AFTER=<n>   kill -9 ourselves the n-th time the point is reached
 */
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import { KafkaEventBus } from '../../src/backbone/messaging-kafka/kafka-event-bus.ts';
import { PostgresLogBus } from '../../src/backbone/messaging-postgres/postgres-log-bus.ts';
import { LogOutbox } from '../../src/backbone/messaging-postgres/log-outbox.ts';
import { namespacedBus } from '../../src/backbone/messaging/namespaced-bus.ts';
import { TableOutbox } from '../../src/backbone/outbox/table-outbox.ts';
import { OutboxRelay } from '../../src/backbone/outbox/outbox-relay.ts';
import type { EventBus } from '../../src/backbone/messaging/event-bus.ts';
import type { Outbox } from '../../src/backbone/outbox/outbox.ts';
import type { FaultInjector } from '../../src/backbone/faults.ts';

/** Kills this process with SIGKILL the `CRASH_AFTER`-th time it reaches `CRASH_POINT` (with `CRASH_DETAIL`, when set). */
export function crashInjectorFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): FaultInjector & { reach(point: string, detail?: string): void } {
  const point = env.CRASH_POINT ?? 'none';
  const detail = env.CRASH_DETAIL;
  let countdown = Number(env.CRASH_AFTER ?? '0');
  return {
    reach(reached: string, reachedDetail?: string) {
      if (reached !== point || (detail !== undefined && reachedDetail !== detail)) return;
      if (--countdown <= 0) process.kill(process.pid, 'SIGKILL');
    },
  };
}

export interface FaultBackbone {
  db: PostgresDatabase;
  bus: EventBus;
  outbox: Outbox;
  /** Kafka only: the log engine's outbox appends to the log in the transaction itself. */
  relay: OutboxRelay | undefined;
}

/** The engine's database, bus and outbox for a child named `name`, with short group timeouts so a killed member is replaced fast. */
export async function openFaultBackbone(name: string, faults: FaultInjector, env: NodeJS.ProcessEnv = process.env): Promise<FaultBackbone> {
  const db = new PostgresDatabase({ connectionString: env.DATABASE_URL!, poolSize: 8, applicationName: `${name}-${process.pid}` });
  if (env.ENGINE === 'kafka') {
    const kafka = new KafkaEventBus({
      bootstrapBrokers: env.KAFKA_BROKERS!.split(','),
      clientId: `${name}-${process.pid}`,
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 15000,
    });
    const bus = env.NAMESPACE ? namespacedBus(kafka, env.NAMESPACE) : kafka;
    return { db, bus, outbox: new TableOutbox(), relay: new OutboxRelay({ db, bus, faults, batchRows: 200 }) };
  }
  const logBus = await PostgresLogBus.open({ db, timings: { standbyRetryMs: 100, livenessCheckMs: 500 } });
  return { db, bus: logBus, outbox: new LogOutbox(logBus), relay: undefined };
}
