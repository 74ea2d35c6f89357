/**
 * `npm run bench -- sagas --engine embedded|kafka [options]`: the loan approval saga (five steps,
 * the orchestrator, the loans participants and the ledger's) in one process, measured two ways:
 * completed sagas per second in a closed loop (a fixed number of applications in flight, each
 * started again as one completes), then the p99 latency of a step (its command's send to its
 * reply, from the saga's history) at half that rate, open loop. KYC screens by a stub (LOW), the
 * limits and the capacity are set out of reach, so every saga runs its five steps.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import { JsonCodec } from '../../src/backbone/codec/json-codec.ts';
import { ConsumerRunner } from '../../src/backbone/consumer/consumer-runner.ts';
import { consumerMigrations } from '../../src/backbone/consumer/migrations.ts';
import { deadLetterMigrations } from '../../src/backbone/dead-letter/migrations.ts';
import { EventEncoder } from '../../src/backbone/envelope/event-encoder.ts';
import { KafkaEventBus } from '../../src/backbone/messaging-kafka/kafka-event-bus.ts';
import { KafkaTopicAdmin } from '../../src/backbone/messaging-kafka/kafka-topic-admin.ts';
import { namespacedBus, namespacedTopicAdmin } from '../../src/backbone/messaging/namespaced-bus.ts';
import type { EventBus } from '../../src/backbone/messaging/event-bus.ts';
import { LogOutbox } from '../../src/backbone/messaging-postgres/log-outbox.ts';
import { PostgresLogBus } from '../../src/backbone/messaging-postgres/postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from '../../src/backbone/messaging-postgres/topic-admin.ts';
import { outboxMigrations } from '../../src/backbone/outbox/migrations.ts';
import type { Outbox } from '../../src/backbone/outbox/outbox.ts';
import { OutboxRelay } from '../../src/backbone/outbox/outbox-relay.ts';
import { TableOutbox } from '../../src/backbone/outbox/table-outbox.ts';
import { SagaOrchestrator, sagaMigrations, sagaParticipant } from '../../src/backbone/saga/index.ts';
import { PgliteDatabase } from '../../src/backbone/storage-pglite/pglite-database.ts';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import type { Database } from '../../src/backbone/storage/database.ts';
import { migrate } from '../../src/backbone/storage/migrate.ts';
import type { TopicAdmin } from '../../src/backbone/topics/topic-admin.ts';
import { ensureTopics } from '../../src/backbone/topics/apply-topics.ts';
import { capReplication, defineTopic } from '../../src/backbone/topics/define-topic.ts';
import { withFailureTopics } from '../../src/backbone/topics/failure-topics.ts';
import { LoanTopics, type LoanSagaData } from '../../src/contracts/loans.ts';
import { complianceCaseMigrations } from '../../src/services/compliance-cases/index.ts';
import { ledgerLoanParticipant } from '../../src/services/ledger/handlers.ts';
import { bankAccounts, depositPostings, ledgerMigrations } from '../../src/services/ledger/index.ts';
import { openAccount, postEntries } from '../../src/services/ledger/ledger-store.ts';
import { applicationView, loanParticipant } from '../../src/services/loans/handlers.ts';
import { loanMigrations } from '../../src/services/loans/migrations.ts';
import { resolveLoansOptions } from '../../src/services/loans/options.ts';
import { loanApprovalSaga } from '../../src/services/loans/saga.ts';
import { outboxPublisher } from '../../src/services/outbox-publisher.ts';
import {
  assertKafkaReachable,
  BenchUsageError,
  Cleanup,
  createScratchDatabase,
  databaseServerUrlFromEnvironment,
  integerOption,
  kafkaBrokersFromEnvironment,
  runSuffix,
} from '../support/environment.ts';
import { machineBusyCpuMs, processCpuMs } from '../support/cpu.ts';
import { LatencySamples, roundMs } from '../support/latency.ts';
import { progress, sleep } from '../support/progress.ts';

export const usage = `usage: npm run bench -- sagas --engine embedded|kafka [options]

  --concurrency N     throughput phase: applications in flight (default 32)
  --seconds N         length of each phase (default 20)
  --warmup-seconds N  left out at the start of each phase (default 3)
  --rate N            latency phase rate in sagas/s (default: half the measured throughput)
  --accounts N        applicants' accounts (default 500)

environment (kafka engine): KAFKA_BROKERS (default 127.0.0.1:19092), DATABASE_URL (the server on
which a scratch database is created and dropped). Progress on stderr; the last stdout line is the
result, one JSON object.`;

export interface SagasResult {
  bench: 'sagas';
  engine: 'embedded' | 'kafka';
  cpus: number;
  loadAverage1m: number;
  completedPerSec: number;
  /**
   * CPU per completed saga in the closed loop: this process's (on embedded it is everything: the
   * orchestrator, the participants, PGlite and its log) and the whole machine's (on kafka it adds
   * the broker and PostgreSQL). The cores divided by it bound what this code can complete here.
   */
  processCpuMsPerSaga: number;
  machineCpuMsPerSaga: number;
  latencyRatePerSec: number;
  stepP50Ms: number | null;
  stepP99Ms: number | null;
  sagaP99Ms: number | null;
}

export async function runSagas(argv: string[]): Promise<SagasResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      engine: { type: 'string' },
      concurrency: { type: 'string', default: '32' },
      seconds: { type: 'string', default: '20' },
      'warmup-seconds': { type: 'string', default: '3' },
      rate: { type: 'string' },
      accounts: { type: 'string', default: '500' },
    },
  });
  const engine = values.engine;
  if (engine !== 'embedded' && engine !== 'kafka') throw new BenchUsageError('--engine must be embedded or kafka');
  const concurrency = integerOption('--concurrency', values.concurrency, 1);
  const seconds = integerOption('--seconds', values.seconds, 1);
  const warmupSeconds = integerOption('--warmup-seconds', values['warmup-seconds'], 0);
  const accountCount = integerOption('--accounts', values.accounts, 1);
  const cleanup = new Cleanup();
  try {
    const rig = await openRig(engine, cleanup);
    const accounts = await openAccounts(rig.db, accountCount);
    const saga = await startSaga(rig, cleanup);
    progress(`sagas: ${engine}, ${accountCount} accounts; closed loop of ${concurrency} for ${seconds} s`);
    const { completedPerSec, processCpuMsPerSaga, machineCpuMsPerSaga } = await closedLoop(
      saga,
      accounts,
      concurrency,
      seconds,
      warmupSeconds,
    );
    progress(
      `sagas: ${completedPerSec.toFixed(1)} completed/s; CPU per saga: ${processCpuMsPerSaga} ms this process, ${machineCpuMsPerSaga} ms the machine`,
    );
    const rate = values.rate ? integerOption('--rate', values.rate, 1) : Math.max(1, Math.floor(completedPerSec / 2));
    progress(`sagas: open loop at ${rate}/s for ${seconds} s`);
    const latency = await openLoop(saga, accounts, rate, seconds, warmupSeconds);
    return {
      bench: 'sagas',
      engine,
      cpus: cpus().length,
      loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
      completedPerSec: Math.round(completedPerSec * 10) / 10,
      processCpuMsPerSaga,
      machineCpuMsPerSaga,
      latencyRatePerSec: rate,
      ...latency,
    };
  } finally {
    await cleanup.run();
  }
}

interface Rig {
  db: Database;
  bus: EventBus;
  outbox: Outbox;
  admin: TopicAdmin;
}

async function openRig(engine: 'embedded' | 'kafka', cleanup: Cleanup): Promise<Rig> {
  if (engine === 'embedded') {
    const db = await PgliteDatabase.open();
    cleanup.add('close PGlite', () => db.close());
    await migrateAll(db);
    const bus = await PostgresLogBus.open({ db });
    cleanup.add('close the log', () => bus.close());
    const admin = new PostgresLogTopicAdmin(db, (topic) => bus.invalidateTopic(topic));
    await declareTopics(admin);
    return { db, bus, outbox: new LogOutbox(bus), admin };
  }
  const brokers = kafkaBrokersFromEnvironment();
  await assertKafkaReachable(brokers);
  const scratch = await createScratchDatabase(databaseServerUrlFromEnvironment());
  cleanup.add('drop the scratch database', () => scratch.drop());
  const db = new PostgresDatabase({ connectionString: scratch.url, poolSize: 10, applicationName: 'bench-sagas' });
  cleanup.add('close the database', () => db.close());
  await migrateAll(db);
  await migrate(db, 'outbox', outboxMigrations);
  const namespace = `bench-sagas-${runSuffix()}`;
  const kafka = new KafkaEventBus({ bootstrapBrokers: brokers, clientId: 'bench-sagas' });
  const bus = namespacedBus(kafka, namespace);
  cleanup.add('close the Kafka bus', () => bus.close());
  const rawAdmin = new KafkaTopicAdmin({ bootstrapBrokers: brokers, clientId: 'bench-sagas-admin' });
  const admin = namespacedTopicAdmin(rawAdmin, namespace);
  cleanup.add('close the Kafka admin', () => rawAdmin.close());
  await declareTopics(admin);
  const names = Object.values(LoanTopics).flatMap((name) => [`${namespace}.${name}`, `${namespace}.${name}.dlq`]);
  cleanup.add('delete the run topics', () => rawAdmin.deleteTopics(names));
  const relay = new OutboxRelay({ db, bus });
  relay.start();
  cleanup.add('stop the relay', () => relay.stop());
  return { db, bus, outbox: new TableOutbox(), admin };
}

async function migrateAll(db: Database): Promise<void> {
  await migrate(db, 'consumer', consumerMigrations);
  await migrate(db, 'dead-letter', deadLetterMigrations);
  await migrate(db, 'saga', sagaMigrations);
  await migrate(db, 'ledger', ledgerMigrations);
  await migrate(db, 'compliance-cases', complianceCaseMigrations);
  await migrate(db, 'loans', loanMigrations);
}

async function declareTopics(admin: TopicAdmin): Promise<void> {
  const specs = Object.values(LoanTopics).flatMap((name) => withFailureTopics(defineTopic({ name }), { retryDelaysMs: [] }));
  await ensureTopics(admin, capReplication(specs, 1));
}

async function openAccounts(db: Database, count: number): Promise<string[]> {
  const accounts = Array.from({ length: count }, () => `DE${randomBytes(10).toString('hex').toUpperCase()}`);
  await db.transaction(async (tx) => {
    for (const account of accounts)
      await openAccount(tx, { accountId: account, name: 'Bench Applicant', currency: 'EUR', overdraftLimitMinor: 0n });
    await postEntries(
      tx,
      accounts.map((account) => ({
        entryId: uuidV7Ids.eventId(),
        kind: 'deposit' as const,
        paymentId: null,
        reference: `bench-${account}`,
        currency: 'EUR',
        postings: depositPostings(bankAccounts.funding('EUR'), account, 300_000n),
      })),
    );
    await tx.query(`update ledger_accounts set balance_minor = 300000 where account_id = any($1::text[])`, [accounts]);
  });
  return accounts;
}

interface RunningSaga {
  db: Database;
  orchestrator: SagaOrchestrator;
  /** Resolves when the saga's last transition was recorded (its transaction commits right after). */
  completion(sagaId: string): Promise<void>;
}

async function startSaga(rig: Rig, cleanup: Cleanup): Promise<RunningSaga> {
  const options = resolveLoansOptions({
    requireScope: () => async () => {},
    screenApplicant: lowRisk,
    exposureLimits: { maxCustomerExposureMinor: 10n ** 15n, maxTotalExposureMinor: 10n ** 17n },
  });
  const codec = new JsonCodec();
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const waiting = new Map<string, () => void>();
  const view = applicationView({
    publisher: outboxPublisher(new EventEncoder(codec, uuidV7Ids, systemClock), rig.outbox),
    clock: systemClock,
  });
  const orchestrator = new SagaOrchestrator(
    { db: rig.db, outbox: rig.outbox, codec, clock: systemClock, ids: uuidV7Ids, logger },
    {
      definition: loanApprovalSaga(options),
      replyTopic: LoanTopics.sagaReplies,
      onTransition: async (tx, transition) => {
        await view(tx, transition);
        if (transition.state.status === 'COMPLETED' || transition.state.status === 'COMPENSATED') {
          const done = waiting.get(transition.sagaId);
          if (done) setImmediate(done);
        }
      },
    },
  );
  const deps = { db: rig.db, bus: rig.bus, outbox: rig.outbox, codec, clock: systemClock, ids: uuidV7Ids, logger };
  const runners = [
    new ConsumerRunner(deps, orchestrator.replyConsumer()),
    new ConsumerRunner(
      deps,
      sagaParticipant(
        'loans',
        [LoanTopics.loanCommands],
        loanParticipant({ options, screenApplicant: lowRisk, clock: systemClock, ids: uuidV7Ids }),
      ),
    ),
    new ConsumerRunner(
      deps,
      sagaParticipant(
        'ledger-loans',
        [LoanTopics.ledgerCommands],
        ledgerLoanParticipant({ lendingCapacityMinor: new Map([['EUR', 10n ** 17n]]), ids: uuidV7Ids }),
      ),
    ),
  ];
  await Promise.all(runners.map((runner) => runner.start()));
  cleanup.add('stop the consumers', () => Promise.all(runners.map((runner) => runner.stop())));
  return {
    db: rig.db,
    orchestrator,
    completion: (sagaId) => new Promise<void>((resolve) => waiting.set(sagaId, () => (waiting.delete(sagaId), resolve()))),
  };
}

/** Starts one application (5000.00 EUR over 24 months, the README's) and resolves with its saga id once started. */
async function apply(saga: RunningSaga, account: string): Promise<{ sagaId: string; done: Promise<void> }> {
  const applicationId = uuidV7Ids.eventId();
  const sagaId = uuidV7Ids.eventId();
  const done = saga.completion(sagaId);
  await saga.db.transaction(async (tx) => {
    await tx.query(
      `insert into loan_applications (application_id, saga_id, api_key_id, idempotency_key, request_sha256, applicant, account, amount_minor,
         currency, term_months, monthly_income_minor, monthly_debts_minor, created_at)
       values ($1, $2, 'bench', $1, 'sha', $3, $4, 500000, 'EUR', 24, 400000, 30000, now())`,
      [applicationId, sagaId, JSON.stringify({ name: 'Bench Applicant', dateOfBirth: '1985-04-12', country: 'DE', account }), account],
    );
    const data: LoanSagaData = { applicationId, account, amountMinor: 500_000n, currency: 'EUR' };
    await saga.orchestrator.start(sagaId, data, tx);
  });
  return { sagaId, done };
}

async function closedLoop(
  saga: RunningSaga,
  accounts: readonly string[],
  concurrency: number,
  seconds: number,
  warmupSeconds: number,
): Promise<{ completedPerSec: number; processCpuMsPerSaga: number; machineCpuMsPerSaga: number }> {
  const startedAt = performance.now();
  const endAt = startedAt + (warmupSeconds + seconds) * 1000;
  let completed = 0;
  let next = 0;
  // The window's edges are read by timers, not by the clients (which only look at the time when a
  // saga completes): at each edge the completions so far, the time and the CPU, so the rate and the
  // CPU per saga cover exactly the same stretch even when the event loop runs a timer late.
  const read = () => ({ completed, atMs: performance.now(), processMs: processCpuMs(process.pid), machineMs: machineBusyCpuMs() });
  let first: ReturnType<typeof read> | undefined;
  let last: ReturnType<typeof read> | undefined;
  const edges = [setTimeout(() => (first = read()), warmupSeconds * 1000), setTimeout(() => (last = read()), endAt - startedAt)];
  const client = async () => {
    while (performance.now() < endAt) {
      const { done } = await apply(saga, accounts[next++ % accounts.length]!);
      await done;
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  for (const edge of edges) clearTimeout(edge);
  const start = first ?? read();
  const end = last ?? read();
  const sagas = end.completed - start.completed;
  const perSaga = (ms: number) => (sagas === 0 ? 0 : Math.round((ms / sagas) * 10) / 10);
  return {
    completedPerSec: (sagas * 1000) / (end.atMs - start.atMs),
    processCpuMsPerSaga: perSaga(end.processMs - start.processMs),
    machineCpuMsPerSaga: perSaga(end.machineMs - start.machineMs),
  };
}

async function openLoop(
  saga: RunningSaga,
  accounts: readonly string[],
  rate: number,
  seconds: number,
  warmupSeconds: number,
): Promise<Pick<SagasResult, 'stepP50Ms' | 'stepP99Ms' | 'sagaP99Ms'>> {
  const total = rate * (seconds + warmupSeconds);
  const measured: string[] = [];
  const sagaLatency = new LatencySamples();
  const pending: Promise<void>[] = [];
  const startedAt = performance.now();
  for (let index = 0; index < total; index += 1) {
    const due = startedAt + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const sentAt = performance.now();
    const { sagaId, done } = await apply(saga, accounts[index % accounts.length]!);
    const counted = index >= rate * warmupSeconds;
    if (counted) measured.push(sagaId);
    pending.push(done.then(() => void (counted && sagaLatency.record(performance.now() - sentAt))));
  }
  await Promise.all(pending);
  // A step's latency: from its command's (first) send to its reply being applied, as the history records them.
  const steps = await saga.db.query<{ ms: number }>(
    `select (extract(epoch from done.recorded_at - sent.recorded_at) * 1000)::float8 as ms
       from saga_history sent join saga_history done on done.saga_id = sent.saga_id and done.step = sent.step and done.event_type = 'StepSucceeded'
      where sent.event_type = 'StepSent' and sent.attempt = 1 and sent.saga_id = any($1::text[])`,
    [measured],
  );
  const stepLatency = new LatencySamples();
  for (const row of steps.rows) stepLatency.record(Number(row.ms));
  const stepSummary = stepLatency.summary();
  const sagaSummary = sagaLatency.summary();
  progress(
    `sagas: ${stepSummary.count} steps, p50 ${roundMs(stepSummary.p50Ms)} ms, p99 ${roundMs(stepSummary.p99Ms)} ms; saga p99 ${roundMs(sagaSummary.p99Ms)} ms`,
  );
  const orNull = (value: number) => (Number.isNaN(value) ? null : roundMs(value));
  return { stepP50Ms: orNull(stepSummary.p50Ms), stepP99Ms: orNull(stepSummary.p99Ms), sagaP99Ms: orNull(sagaSummary.p99Ms) };
}

/** KYC's stub: every applicant LOW (the bench measures the saga, not the screening engine: `npm run bench -- screening` does). */
function lowRisk() {
  return { band: 'LOW' as const, score: 0, pep: false, matches: [], suppressed: [], listVersions: [] };
}
