/**
 * vitest global setup: finds (or starts) the Kafka broker and the PostgreSQL server the
 * integration and end-to-end tests run against, and hands them to the test files through
 * `provide` (read them with the helpers in test/support/engines.ts).
 *
 * Environment, read here once:
 * - KAFKA_BROKERS: use this cluster. Unset: start a local broker with scripts/kafka/kafka.sh (or
 *   reuse the one running in the same directory), and stop it at the end if this run started it.
 * - DATABASE_URL: use this PostgreSQL server (its user needs CREATEDB). Unset: the local default.
 * - RABBITMQ_URL: use this RabbitMQ broker. Unset: amqp://guest:guest@127.0.0.1:5672.
 * - REQUIRE_KAFKA=1 / REQUIRE_POSTGRES=1 / REQUIRE_RABBITMQ=1: a missing engine fails the run (CI
 *   sets them). Without them, the tests that need a missing engine are skipped and say why.
 */
import type { TestProject } from 'vitest/node';
import { acquireTestKafka, type TestKafka } from './test-kafka.ts';
import { checkRabbitMQ, type RabbitMQCheck } from './test-rabbitmq.ts';
import { checkPostgres, defaultPostgresUrl, sweepStaleTestDatabases, type PostgresCheck } from './test-postgres.ts';
import './provided-context.ts';

const defaultKafkaPort = 19092;
/** Projects whose tests never touch a server; a run of only these starts nothing. */
const serverlessProjects = new Set(['unit']);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env;
  const requireKafka = env.REQUIRE_KAFKA === '1';
  const requirePostgres = env.REQUIRE_POSTGRES === '1';
  const requireRabbitMQ = env.REQUIRE_RABBITMQ === '1';
  project.provide('testRunPid', process.pid);

  if (project.vitest.projects.every((selected) => serverlessProjects.has(selected.name))) {
    const reason = 'not started: this run selected only unit tests';
    provideEngines(
      project,
      { brokers: null, unavailableReason: reason, release: async () => {} },
      { url: null, unavailableReason: reason },
      { url: null, unavailableReason: reason },
    );
    return async () => {};
  }

  const [kafka, postgres, rabbitmq] = await Promise.all([
    acquireTestKafka({ brokersFromEnv: env.KAFKA_BROKERS, localPort: defaultKafkaPort }),
    checkPostgres(env.DATABASE_URL || defaultPostgresUrl),
    checkRabbitMQ(env.RABBITMQ_URL || undefined),
  ]);
  const missing: string[] = [];
  if (kafka.brokers === null && requireKafka) missing.push(`REQUIRE_KAFKA=1 but ${kafka.unavailableReason}`);
  if (postgres.url === null && requirePostgres) missing.push(`REQUIRE_POSTGRES=1 but ${postgres.unavailableReason}`);
  if (rabbitmq.url === null && requireRabbitMQ) missing.push(`REQUIRE_RABBITMQ=1 but ${rabbitmq.unavailableReason}`);
  if (missing.length > 0) {
    await kafka.release();
    throw new Error(missing.join('\n'));
  }

  if (kafka.brokers === null) warn(`Kafka tests will be skipped: ${kafka.unavailableReason}`);
  else console.log(`[paystream tests] Kafka at ${kafka.brokers.join(',')}`);
  if (postgres.url === null) warn(`PostgreSQL tests will be skipped: ${postgres.unavailableReason}`);
  else {
    const swept = await sweepStaleTestDatabases(postgres.url).catch(() => []);
    if (swept.length > 0) console.log(`[paystream tests] dropped ${swept.length} test databases left by killed runs`);
  }
  if (rabbitmq.url === null) warn(`RabbitMQ tests will be skipped: ${rabbitmq.unavailableReason}`);
  provideEngines(project, kafka, postgres, rabbitmq);
  return () => kafka.release();
}

function provideEngines(project: TestProject, kafka: TestKafka, postgres: PostgresCheck, rabbitmq: RabbitMQCheck): void {
  project.provide('rabbitmqUrl', rabbitmq.url);
  project.provide('rabbitmqUnavailableReason', rabbitmq.unavailableReason);
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('kafkaUnavailableReason', kafka.unavailableReason);
  project.provide('postgresUrl', postgres.url);
  project.provide('postgresUnavailableReason', postgres.unavailableReason);
}

function warn(message: string): void {
  console.warn(`[paystream tests] ${message} (set REQUIRE_KAFKA=1 / REQUIRE_POSTGRES=1 / REQUIRE_RABBITMQ=1 to fail instead)`);
}
