// Runs the order-totals example end to end (see examples/README.md):
//   npm run example -- --engine embedded
//   KAFKA_BROKERS=127.0.0.1:19092 DATABASE_URL=postgres://postgres@127.0.0.1:5432/order_totals_example npm run example -- --engine kafka
// It creates the topics, starts the projection, places a few orders, waits until they are applied,
// then publishes the very same events again (as a relay re-sending after a crash would) and shows
// that the totals did not change.
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { migrate } from '../../src/backbone/storage/index.ts';
import { ConsumerRunner } from '../../src/backbone/consumer/index.ts';
import type { EventBus } from '../../src/backbone/messaging/index.ts';
import { createLogger } from '../../src/backbone/observability/index.ts';
import { openBackbone, pollUntil, type EngineConfig } from './backbone.ts';
import {
  orderTotalsConsumer,
  orderTotalsMigrations,
  orderTotalsTopics,
  ordersPlacedTopic,
  readTotals,
  totalChangedTopic,
} from './order-totals.ts';
import { placeOrders, sampleOrders } from './producer.ts';

const usage = `usage: main.ts [--engine embedded|kafka] [--data-dir DIR] [--namespace PREFIX]
  embedded (default): PGlite in memory, or in DIR to keep the data between runs
  kafka: the brokers in KAFKA_BROKERS, the PostgreSQL server in DATABASE_URL`;

const config = engineConfig();
// JSON lines on stdout, as in production; warnings and errors only, so the printed totals stand out.
const logger = createLogger({ level: 'warn', service: 'order-totals-example' });
const backbone = await openBackbone(config, logger);
try {
  await backbone.ensureTopics(orderTotalsTopics());
  await migrate(backbone.db, 'order-totals', orderTotalsMigrations);
  const consumer = new ConsumerRunner(backbone.consumerDeps, orderTotalsConsumer());
  await consumer.start();
  try {
    const placed = await placeOrders(backbone.bus, backbone.codec, sampleOrders());
    await caughtUp(backbone.bus, consumer.name);
    const totals = await readTotals(backbone.db);
    console.log(`placed ${placed.length} orders on ${config.engine}; totals in minor units:`);
    console.table(totals.map((total) => ({ ...total, totalMinor: total.totalMinor.toString() })));

    await backbone.bus.publish(placed); // the same events (same event ids) at new offsets
    await caughtUp(backbone.bus, consumer.name);
    if (!isDeepStrictEqual(await readTotals(backbone.db), totals)) throw new Error('the re-delivered events changed the totals');
    console.log(`published the same ${placed.length} events again: the totals are unchanged`);
  } finally {
    await consumer.stop();
  }
  await backbone.emittedEventsPublished();
  console.log(`${totalChangedTopic} holds ${await eventCount(backbone.bus, totalChangedTopic)} events`);
} finally {
  await backbone.close();
}

/** The engine from the command line (Kafka's addresses from the environment, as the platform reads them). */
function engineConfig(): EngineConfig {
  const values = parsedArguments();
  if (values.engine === 'embedded') return { engine: 'embedded', ...(values['data-dir'] && { dataDir: values['data-dir'] }) };
  if (values.engine !== 'kafka') return refuse(`unknown engine "${values.engine}"`);
  const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];
  const databaseUrl = process.env.DATABASE_URL;
  if (brokers.length === 0 || !databaseUrl) return refuse('--engine kafka needs KAFKA_BROKERS and DATABASE_URL');
  return { engine: 'kafka', brokers, databaseUrl, ...(values.namespace && { namespace: values.namespace }) };
}

function parsedArguments() {
  try {
    return parseArgs({
      options: { engine: { type: 'string', default: 'embedded' }, 'data-dir': { type: 'string' }, namespace: { type: 'string' } },
    }).values;
  } catch (error) {
    return refuse((error as Error).message); // an unknown or incomplete option
  }
}

function refuse(reason: string): never {
  console.error(`${reason}\n${usage}`);
  process.exit(2);
}

/** The consumer has handled every record of its topic: its committed position is the log's end. */
async function caughtUp(bus: EventBus, groupId: string): Promise<void> {
  await pollUntil(async () => {
    const [ends, committed] = await Promise.all([bus.endOffsets(ordersPlacedTopic), bus.committedOffsets(groupId, ordersPlacedTopic)]);
    return [...ends].every(([partition, end]) => end === 0n || (committed.get(partition) ?? 0n) >= end);
  }, `${groupId} to reach the end of ${ordersPlacedTopic}`);
}

async function eventCount(bus: EventBus, topic: string): Promise<bigint> {
  let count = 0n;
  for (const end of (await bus.endOffsets(topic)).values()) count += end;
  return count;
}
