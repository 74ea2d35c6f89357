/**
 * The stage under test on the Kafka engine, in a process of its own as a service runs it:
 * PostgreSQL through a `pg` pool, the consumer runner on Kafka, the table outbox and its relay in
 * the same process (src/runtime/backbone.ts). The driver (kafka-rig.ts) forks it, sends the
 * configuration as the first IPC message, and receives `ready`, a stats report every 500 ms, and
 * the final stats once it asks it to stop.
 */
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import { KafkaEventBus } from '../../src/backbone/messaging-kafka/kafka-event-bus.ts';
import type { KafkaEventBusOptions } from '../../src/backbone/messaging-kafka/options.ts';
import { TableOutbox } from '../../src/backbone/outbox/table-outbox.ts';
import { OutboxRelay } from '../../src/backbone/outbox/outbox-relay.ts';
import { createStageRunner, type StageSpec } from './stage.ts';
import { countTransactions, StageCounters, type StageStats } from './instruments.ts';

export interface StageProcessConfig {
  spec: StageSpec;
  databaseUrl: string;
  poolSize: number;
  relayBatchRows: number;
  kafka: KafkaEventBusOptions;
}

export type StageProcessMessage =
  { type: 'ready' } | { type: 'stats'; stats: StageStats } | { type: 'stopped'; stats: StageStats } | { type: 'failed'; message: string };

const send = (message: StageProcessMessage): Promise<void> =>
  new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));

// The driver going away (it crashed, Ctrl-C) must not leave a consumer running against the broker.
process.on('disconnect', () => process.exit(1));

const config = await new Promise<StageProcessConfig>((resolve) =>
  process.once('message', (message) => resolve(message as StageProcessConfig)),
);
try {
  await run(config);
} catch (error) {
  await send({ type: 'failed', message: (error as Error).stack ?? String(error) });
  process.exit(1);
}

async function run({ spec, databaseUrl, poolSize, relayBatchRows, kafka }: StageProcessConfig): Promise<void> {
  const counters = new StageCounters();
  const pool = new PostgresDatabase({ connectionString: databaseUrl, poolSize, applicationName: 'bench-stage' });
  const db = countTransactions(pool, counters);
  const bus = new KafkaEventBus({ ...kafka, clientId: 'bench-stage' });
  const relay = new OutboxRelay({
    db: pool,
    bus,
    batchRows: relayBatchRows,
    onPublished: (messages) => {
      counters.relayRounds++;
      counters.relayPublished += messages.length;
    },
    onError: (error) => process.stderr.write(`stage: relay round failed: ${(error as Error).message}\n`),
  });
  const runner = createStageRunner({ db, bus, outbox: new TableOutbox() }, spec, counters);
  relay.start();
  await runner.start();
  await send({ type: 'ready' });
  const reporter = setInterval(() => void send({ type: 'stats', stats: counters.snapshot() }), 500);

  await new Promise<void>((resolve) => process.on('message', (message) => (message as { type: string }).type === 'stop' && resolve()));
  clearInterval(reporter);
  await runner.stop();
  await relay.stop();
  await bus.close();
  await pool.close();
  await send({ type: 'stopped', stats: counters.snapshot() });
  process.exit(0);
}
