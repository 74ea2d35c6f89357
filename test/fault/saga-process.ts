/**
 * A saga orchestrator and its participants as one process, for the saga crash test: the example
 * saga RESERVE → CHARGE → SHIP (RELEASE and REFUND undo the first two) over the engine's real bus,
 * outbox and consumer positions. The configuration comes from the environment (a test program):
 *
 *   ENGINE=kafka|postgres  DATABASE_URL  KAFKA_BROKERS  PREFIX (of topics, groups and saga ids)
 *   START_FROM, START_TO   start sagas PREFIX-i for i in [START_FROM, START_TO) (a start that exists changes nothing)
 *   CRASH_POINT=<a FaultPoint>|none  CRASH_DETAIL (the point's detail to match, e.g. crash/REFUND)
 *   CRASH_AFTER=<n>   kill -9 ourselves the n-th time the point (with that detail) is reached
 *
 * Saga i: CHARGE refuses when i % 3 == 1, SHIP when i % 3 == 0; REFUND refuses its first send when
 * i % 2 == 0 (so a compensation goes through a backoff timer). Every command a participant
 * carries out is a row in `saga_effects`, with no deduplication of its own beyond the consumer's
 * (event ids): a command the orchestrator sent twice would show up twice. The deadlines are long
 * (60 s), so in a run of a few seconds nothing is re-sent for want of a reply.
 *
 * It prints "ready" once its consumers joined their groups and runs until killed or sent SIGTERM.
 */
import pino from 'pino';
import { migrate } from '../../src/backbone/storage/migrate.ts';
import { outboxMigrations } from '../../src/backbone/outbox/migrations.ts';
import { consumerMigrations } from '../../src/backbone/consumer/migrations.ts';
import { ConsumerRunner } from '../../src/backbone/consumer/consumer-runner.ts';
import { JsonCodec } from '../../src/backbone/codec/json-codec.ts';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import { SagaOrchestrator, sagaMigrations, sagaParticipant } from '../../src/backbone/saga/index.ts';
import { sagaCrashDefinition } from './saga-crash-definition.ts';
import { crashInjectorFromEnv, openFaultBackbone } from './fault-process.ts';

const env = process.env;
const prefix = env.PREFIX!;
const faults = crashInjectorFromEnv();
const { db, bus, outbox, relay } = await openFaultBackbone('saga', faults);
await migrate(db, 'consumer', consumerMigrations);
await migrate(db, 'outbox', outboxMigrations);
await migrate(db, 'saga', sagaMigrations);
await db.exec(`create table if not exists saga_effects (seq bigserial primary key, saga_id text not null, command_id text not null, name text not null, pid int not null);
               create table if not exists saga_refusals (command_id text not null)`);

const logger = pino({ level: 'warn' }, pino.destination(2));
const deps = { db, bus, outbox, codec: new JsonCodec(), clock: systemClock, ids: uuidV7Ids, logger, faults };
const definition = sagaCrashDefinition(prefix);
const orchestrator = new SagaOrchestrator(deps, { definition, replyTopic: `${prefix}.replies.v1`, consumerName: `${prefix}-orchestrator` });
const commandTopics = definition.steps.map((step) => step.commandTopic);
const participants = sagaParticipant(`${prefix}-participants`, commandTopics, async (command, { tx, reply }) => {
  const index = Number(command.sagaId.split('-').at(-1));
  const refuses =
    (command.name === 'CHARGE' && index % 3 === 1) ||
    (command.name === 'SHIP' && index % 3 === 0) ||
    (command.name === 'REFUND' && index % 2 === 0 && (await refusalsOf(command.commandId)) === 0);
  if (refuses) {
    await tx.query(`insert into saga_refusals (command_id) values ($1)`, [command.commandId]);
    return reply(false, `${command.name} refused`);
  }
  await tx.query(`insert into saga_effects (saga_id, command_id, name, pid) values ($1, $2, $3, $4)`, [
    command.sagaId,
    command.commandId,
    command.name,
    process.pid,
  ]);
  reply(true);

  async function refusalsOf(commandId: string): Promise<number> {
    const found = await tx.query(`select 1 from saga_refusals where command_id = $1`, [commandId]);
    return found.rows.length;
  }
});
const runners = [new ConsumerRunner(deps, participants), new ConsumerRunner(deps, orchestrator.replyConsumer())];

relay?.start();
await Promise.all(runners.map((runner) => runner.start()));
await orchestrator.startTimers((error) => logger.error({ err: error }, 'saga timers'));
for (let index = Number(env.START_FROM ?? '0'); index < Number(env.START_TO ?? '0'); index++) {
  await orchestrator.start(`${prefix}-${index}`, { index });
}
process.stdout.write('ready\n');

process.on('SIGTERM', async () => {
  await orchestrator.stop();
  await Promise.all(runners.map((runner) => runner.stop()));
  await relay?.stop();
  await bus.close();
  await db.close();
  process.exit(0);
});
