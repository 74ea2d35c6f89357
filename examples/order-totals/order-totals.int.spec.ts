import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../../src/backbone/storage-pglite/index.ts';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/index.ts';
import { PostgresLogBus } from '../../src/backbone/messaging-postgres/index.ts';
import { KafkaEventBus } from '../../src/backbone/messaging-kafka/index.ts';
import { namespacedBus, type EventBus, type LogRecord } from '../../src/backbone/messaging/index.ts';
import { JsonCodec } from '../../src/backbone/codec/index.ts';
import { envelopeFromHeaders } from '../../src/backbone/envelope/index.ts';
import type { Database } from '../../src/backbone/storage/index.ts';
import { readTopic } from '../../src/backbone/testing/embedded-fixture.ts';
import { createTestDatabase, describeWithKafka, kafkaBrokers, uniqueName, type TestDatabase } from '../../test/support/engines.ts';
import { ordersPlacedTopic, readTotals, totalChangedTopic, type TotalChanged } from './order-totals.ts';
import { sampleOrders } from './producer.ts';

// CI runs the example as a newcomer would (its main.ts in a process of its own) on both engines,
// then opens what it left behind: the projection's table and the two topics.
const main = join(import.meta.dirname, 'main.ts');
// Joining a Kafka group and creating topics on a busy shared broker can take tens of seconds.
const exampleTimeoutMs = 150_000;

describe('the order-totals example on the embedded engine', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'order-totals-example-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it(
    'projects the orders once, emits one total per order, and ignores the re-delivered copies',
    async () => {
      const output = await runExample(['--engine', 'embedded', '--data-dir', dataDir], {});
      expect(output).toContain('the totals are unchanged');
      const db = await PgliteDatabase.open({ dataDir });
      const bus = await PostgresLogBus.open({ db });
      try {
        await expectExactlyOnceEffects(db, bus);
      } finally {
        await bus.close();
        await db.close();
      }
    },
    exampleTimeoutMs + 30_000,
  );
});

describeWithKafka('the order-totals example on Kafka and PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('order_totals_example');
  });
  afterAll(() => database?.drop());

  it(
    'projects the orders once, emits one total per order through the relay, and ignores the re-delivered copies',
    async () => {
      const namespace = uniqueName('example');
      const output = await runExample(['--engine', 'kafka', '--namespace', namespace], {
        KAFKA_BROKERS: kafkaBrokers().join(','),
        DATABASE_URL: database.url,
      });
      expect(output).toContain('the totals are unchanged');
      const db = new PostgresDatabase({ connectionString: database.url, poolSize: 2 });
      const bus = namespacedBus(new KafkaEventBus({ bootstrapBrokers: kafkaBrokers(), clientId: 'order-totals-example-test' }), namespace);
      try {
        await expectExactlyOnceEffects(db, bus);
      } finally {
        await bus.close();
        await db.close();
      }
    },
    exampleTimeoutMs + 30_000,
  );
});

/**
 * What one run of the example must leave: each of the six orders counted once in the table (the
 * upsert adds, so an order applied twice would show), one total-changed event per order caused by
 * that order's event, and twelve records on the orders topic (six events, each published twice).
 */
async function expectExactlyOnceEffects(db: Database, bus: EventBus): Promise<void> {
  expect(await readTotals(db)).toEqual(expectedTotals());

  const orders = await decoded(bus, ordersPlacedTopic);
  const orderEventIds = new Set(orders.map((order) => order.eventId));
  expect(orders).toHaveLength(12);
  expect(orderEventIds.size).toBe(6);

  const changes = await decoded(bus, totalChangedTopic);
  expect(changes).toHaveLength(6);
  expect(new Set(changes.map((change) => change.causationId))).toEqual(orderEventIds);
  // Per customer and currency, in offset order, the counts run 1, 2, ... and the last is the table's row.
  const last = new Map<string, TotalChanged>();
  for (const change of changes) {
    const total = change.payload as TotalChanged;
    const key = `${total.customerId}/${total.currency}`;
    expect(total.orderCount).toBe((last.get(key)?.orderCount ?? 0) + 1);
    last.set(key, total);
  }
  expect([...last.values()].sort(byCustomerAndCurrency)).toEqual(expectedTotals());
}

/** The sample orders summed here, independently of the projection. */
function expectedTotals(): TotalChanged[] {
  const totals = new Map<string, TotalChanged>();
  for (const order of sampleOrders()) {
    const key = `${order.customerId}/${order.currency}`;
    const total = totals.get(key) ?? { customerId: order.customerId, currency: order.currency, totalMinor: 0n, orderCount: 0 };
    totals.set(key, { ...total, totalMinor: total.totalMinor + order.amountMinor, orderCount: total.orderCount + 1 });
  }
  return [...totals.values()].sort(byCustomerAndCurrency);
}

function byCustomerAndCurrency(a: TotalChanged, b: TotalChanged): number {
  return a.customerId.localeCompare(b.customerId) || a.currency.localeCompare(b.currency);
}

async function decoded(bus: EventBus, topic: string): Promise<{ eventId: string; causationId: string | null; payload: unknown }[]> {
  const codec = new JsonCodec();
  const records: LogRecord[] = await readTopic(bus, topic);
  return Promise.all(
    records.map(async (record) => {
      const { envelope } = envelopeFromHeaders(record.headers, record.key);
      return {
        eventId: envelope.eventId,
        causationId: envelope.causationId,
        payload: await codec.decode(topic, envelope.eventType, record.value!),
      };
    }),
  );
}

/** Runs the example's main.ts with the test's Node.js; resolves with its output, rejects with its errors. */
function runExample(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: exampleTimeoutMs },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the example failed (${error.message}):\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}
