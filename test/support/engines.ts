/**
 * The real engines for integration and end-to-end tests: the Kafka broker and the PostgreSQL server
 * that the global setup found (test/support/global-setup.ts).
 *
 * A test that needs an engine declares it, and is skipped with the reason when the engine is not
 * there. That only happens on a developer's machine: CI sets REQUIRE_KAFKA=1, REQUIRE_POSTGRES=1 and
 * REQUIRE_RABBITMQ=1, and then a missing engine fails the whole run in the global setup, before any test is skipped.
 *
 *   describeWithKafka('KafkaEventBus', () => {
 *     it('delivers in order per key', async () => {
 *       const bus = new KafkaEventBus({ brokers: kafkaBrokers(), ... });
 *       const topic = uniqueName('orders');
 *     });
 *   });
 *
 *   describeWithPostgres('outbox on PostgreSQL', () => {
 *     let database: TestDatabase;
 *     beforeAll(async () => { database = await createTestDatabase('outbox'); });
 *     afterAll(() => database?.drop());
 *   });
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { ownerTag, testDatabasePrefix, withClient } from './test-postgres.ts';
import './provided-context.ts';

/** Whether a Kafka cluster is available to this run. */
export function hasKafka(): boolean {
  return inject('kafkaBrokers') !== null;
}

/** Whether a PostgreSQL server is available to this run. */
export function hasPostgres(): boolean {
  return inject('postgresUrl') !== null;
}

/** Whether a RabbitMQ broker is available to this run. */
export function hasRabbitMQ(): boolean {
  return inject('rabbitmqUrl') !== null;
}

/** The RabbitMQ URL (with its credentials: never print it); skips or throws like `kafkaBrokers`. */
export function rabbitmqUrl(test?: Skippable): string {
  const url = inject('rabbitmqUrl');
  if (url !== null) return url;
  return unavailable(`RabbitMQ is not available: ${inject('rabbitmqUnavailableReason')}`, test);
}

/** `describe`, or `describe.skip` with the reason in the suite name when there is no RabbitMQ. */
export function describeWithRabbitMQ(name: string, suite: () => void): void {
  if (hasRabbitMQ()) describe(name, suite);
  // Skipped only where no broker answers (a developer's machine); CI sets REQUIRE_RABBITMQ=1 and
  // the global setup then fails the run before any test is skipped.
  else describe.skip(`${name} [skipped: no RabbitMQ — ${inject('rabbitmqUnavailableReason')}]`, suite); // skipped: no RabbitMQ on this machine (CI fails instead)
}

/** A test (or test context) that can skip itself; vitest's `TestContext` is one. */
export interface Skippable {
  skip(note: string): never;
}

/**
 * The Kafka bootstrap addresses. Without Kafka: skips the test when given its context
 * (`it('...', (ctx) => { const brokers = kafkaBrokers(ctx); })`), otherwise throws, because the
 * caller should have been inside `describeWithKafka`.
 */
export function kafkaBrokers(test?: Skippable): string[] {
  const brokers = inject('kafkaBrokers');
  if (brokers !== null) return brokers;
  return unavailable(`Kafka is not available: ${inject('kafkaUnavailableReason')}`, test);
}

/** The PostgreSQL server URL (its `postgres` database); skips or throws like `kafkaBrokers`. */
export function postgresUrl(test?: Skippable): string {
  const url = inject('postgresUrl');
  if (url !== null) return url;
  return unavailable(`PostgreSQL is not available: ${inject('postgresUnavailableReason')}`, test);
}

/** `describe`, or `describe.skip` with the reason in the suite name when there is no Kafka. */
export function describeWithKafka(name: string, suite: () => void): void {
  if (hasKafka()) describe(name, suite);
  // Skipped only where no broker could be found or started (a developer's machine); CI sets
  // REQUIRE_KAFKA=1 and the global setup then fails the run before any test is skipped.
  else describe.skip(`${name} [skipped: no Kafka — ${inject('kafkaUnavailableReason')}]`, suite); // skipped: no broker on this machine (CI fails instead)
}

/** `describe`, or `describe.skip` with the reason in the suite name when there is no PostgreSQL. */
export function describeWithPostgres(name: string, suite: () => void): void {
  if (hasPostgres()) describe(name, suite);
  // Skipped only where no PostgreSQL answers (a developer's machine); CI sets REQUIRE_POSTGRES=1 and
  // the global setup then fails the run before any test is skipped.
  else describe.skip(`${name} [skipped: no PostgreSQL — ${inject('postgresUnavailableReason')}]`, suite); // skipped: no PostgreSQL on this machine (CI fails instead)
}

/**
 * A name no other test (or earlier run) uses, for topics, consumer groups and transactional ids,
 * e.g. `uniqueName('payments.submitted')` → `payments.submitted-m3x1k2-9f3a1c`. Tests never clean up
 * topics on a shared broker by name patterns; uniqueness is what keeps them apart.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface TestDatabase {
  /** Database name, `ps_test_<prefix>_<random>`. */
  name: string;
  /** Connection URL of the new database (the server's URL with the database swapped in). */
  url: string;
  /** Drops the database, closing connections that are still open to it. Safe to call twice. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database of its own for a test file or a test. Drop it in `afterAll`; a run
 * killed before that leaves it behind, and the next run's global setup drops it.
 */
export async function createTestDatabase(prefix: string, test?: Skippable): Promise<TestDatabase> {
  const serverUrl = postgresUrl(test);
  const name = `${testDatabasePrefix}${sanitize(prefix)}_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, async (client) => {
    await client.query(`create database ${pg.escapeIdentifier(name)}`);
    await client.query(`comment on database ${pg.escapeIdentifier(name)} is ${pg.escapeLiteral(ownerTag(inject('testRunPid')))}`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop: () => {
      dropped ??= withClient(serverUrl, async (client) => {
        await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      });
      return dropped;
    },
  };
}

/** Database names are identifiers of at most 63 bytes: keep [a-z0-9_] and leave room for the rest. */
function sanitize(prefix: string): string {
  const cleaned = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return cleaned.slice(0, 40) || 'db';
}

function unavailable(reason: string, test: Skippable | undefined): never {
  // The same rule as describeWithKafka/Postgres: a missing engine skips only outside CI
  // (REQUIRE_KAFKA / REQUIRE_POSTGRES make the global setup fail first).
  if (test) test.skip(reason); // skipped: the engine named in `reason` is missing (CI fails instead)
  throw new Error(`${reason}. Wrap the test in describeWithKafka / describeWithPostgres, or pass its context to skip it.`);
}
