/**
 * One stage of an event flow as its own process, for the crash tests: consume `input`, write an
 * effect row and emit an event in ONE database transaction (outbox), relay the outbox to the bus.
 * The configuration comes from the environment (this is a test program, not a service):
 *
 *   ENGINE=kafka|postgres  DATABASE_URL  KAFKA_BROKERS  INPUT  OUTPUT  GROUP
 *   CRASH_POINT=consumer.after-commit|relay.after-publish|mid-batch|none
 *   CRASH_AFTER=<n>   kill -9 ourselves the n-th time the point is reached
 *   MAX_BATCH=<n>
 *
 * It prints "ready" once its consumer joined the group and runs until killed or sent SIGTERM.
 */
import pino from 'pino';
import { migrate } from '../../src/backbone/storage/migrate.ts';
import { outboxMigrations } from '../../src/backbone/outbox/migrations.ts';
import { consumerMigrations } from '../../src/backbone/consumer/migrations.ts';
import { ConsumerRunner } from '../../src/backbone/consumer/consumer-runner.ts';
import { JsonCodec } from '../../src/backbone/codec/json-codec.ts';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import { crashInjectorFromEnv, openFaultBackbone } from './fault-process.ts';

const env = process.env;
const faults = crashInjectorFromEnv();
const { db, bus, outbox, relay } = await openFaultBackbone('stage', faults);
await migrate(db, 'consumer', consumerMigrations);
await migrate(db, 'outbox', outboxMigrations);
await db.exec(`create table if not exists effects (event_id text not null, seq int not null, pid int not null)`);

const runner = new ConsumerRunner(
  {
    db,
    bus,
    outbox,
    codec: new JsonCodec(),
    clock: systemClock,
    ids: uuidV7Ids,
    logger: pino({ level: 'warn' }, pino.destination(2)),
    faults,
  },
  {
    name: env.GROUP!,
    topics: [env.INPUT!],
    maxBatchRecords: Number(env.MAX_BATCH ?? '100'),
    retry: { mode: 'blocking', delaysMs: [100, 200, 400] },
    handler: async (event, { tx, emit }) => {
      const { seq } = event.payload as { seq: number };
      await tx.query(`insert into effects (event_id, seq, pid) values ($1, $2, $3)`, [event.envelope.eventId, seq, process.pid]);
      emit({ topic: env.OUTPUT!, eventType: 'fault.stage-done', key: event.envelope.key, payload: { seq } });
      faults.reach('mid-batch');
    },
  },
);
relay?.start();
await runner.start();
process.stdout.write('ready\n');

process.on('SIGTERM', async () => {
  await runner.stop();
  await relay?.stop();
  await bus.close();
  await db.close();
  process.exit(0);
});
