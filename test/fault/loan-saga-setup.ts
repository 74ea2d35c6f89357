import { randomBytes } from 'node:crypto';
import { uuidV7Ids, systemClock } from '../../src/backbone/clock/clock.ts';
import { JsonCodec } from '../../src/backbone/codec/json-codec.ts';
import { consumerMigrations } from '../../src/backbone/consumer/migrations.ts';
import { deadLetterMigrations } from '../../src/backbone/dead-letter/migrations.ts';
import { LogOutbox } from '../../src/backbone/messaging-postgres/log-outbox.ts';
import { KafkaTopicAdmin } from '../../src/backbone/messaging-kafka/kafka-topic-admin.ts';
import { namespacedTopicAdmin } from '../../src/backbone/messaging/namespaced-bus.ts';
import { outboxMigrations } from '../../src/backbone/outbox/migrations.ts';
import { TableOutbox } from '../../src/backbone/outbox/table-outbox.ts';
import { PostgresLogBus } from '../../src/backbone/messaging-postgres/postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from '../../src/backbone/messaging-postgres/topic-admin.ts';
import { SagaOrchestrator, sagaMigrations } from '../../src/backbone/saga/index.ts';
import type { Database } from '../../src/backbone/storage/database.ts';
import { migrate } from '../../src/backbone/storage/migrate.ts';
import { ensureTopics } from '../../src/backbone/topics/apply-topics.ts';
import { defineTopic } from '../../src/backbone/topics/define-topic.ts';
import { withFailureTopics } from '../../src/backbone/topics/failure-topics.ts';
import pino from 'pino';
import { LoanTopics } from '../../src/contracts/loans.ts';
import { complianceCaseMigrations } from '../../src/services/compliance-cases/index.ts';
import { ledgerMigrations } from '../../src/services/ledger/index.ts';
import { loanMigrations } from '../../src/services/loans/migrations.ts';
import { resolveLoansOptions } from '../../src/services/loans/options.ts';
import { loanApprovalSaga } from '../../src/services/loans/saga.ts';
import { insertLoanApplication } from '../support/loan-applications.ts';

/** The crash tests' loan approval: short deadlines, a customer limit of 10,000.00 EUR. */
export const loanCrashOptions = resolveLoansOptions({
  requireScope: () => async () => {},
  screenApplicant: () => {
    throw new Error('screened by the process');
  },
  // Long enough that a Kafka rebalance after a kill (6-10 s) rarely outlasts a step's three sends.
  stepTimeoutMs: 10_000,
  compensationTimeoutMs: 3_000,
  compensationRetryDelayMs: 500,
  exposureLimits: { maxCustomerExposureMinor: 1_000_000n },
});
export const loanCrashDefinition = loanApprovalSaga(loanCrashOptions);
export const loanCrashCapacity: ReadonlyMap<string, bigint> = new Map([['EUR', 1_000_000_000n]]);

/** The kinds of application in the load, and how each must end. */
export const loanKinds = [
  { kind: 'approved', name: 'Maria Schneider', amountMinor: 500_000n, incomeMinor: 400_000n },
  { kind: 'listed', name: 'Listed Person', amountMinor: 500_000n, incomeMinor: 400_000n },
  { kind: 'debt-ratio', name: 'Paul Becker', amountMinor: 500_000n, incomeMinor: 100_000n },
  { kind: 'exposure', name: 'Sophie Wagner', amountMinor: 1_200_000n, incomeMinor: 2_000_000n },
  { kind: 'disbursement-refused', name: 'Jonas Weber', amountMinor: 777_777n, incomeMinor: 400_000n },
] as const;

/** Where the saga's events go: PostgreSQL's table log, or Kafka under a namespace of the run's. */
export type LoanCrashEngine = { kind: 'postgres' } | { kind: 'kafka'; brokers: readonly string[]; namespace: string };

/** Migrates a fresh database and declares the saga's topics on the engine's log. */
export async function prepareLoanDatabase(db: Database, engine: LoanCrashEngine = { kind: 'postgres' }): Promise<void> {
  await migrate(db, 'outbox', outboxMigrations);
  await migrate(db, 'consumer', consumerMigrations);
  await migrate(db, 'dead-letter', deadLetterMigrations);
  await migrate(db, 'saga', sagaMigrations);
  await migrate(db, 'ledger', ledgerMigrations);
  await migrate(db, 'compliance-cases', complianceCaseMigrations);
  await migrate(db, 'loans', loanMigrations);
  const topics = Object.values(LoanTopics).flatMap((name) =>
    withFailureTopics(defineTopic({ name, partitions: 4, replicationFactor: 1 }), { retryDelaysMs: [] }),
  );
  if (engine.kind === 'kafka') {
    const admin = new KafkaTopicAdmin({ bootstrapBrokers: [...engine.brokers] });
    try {
      await ensureTopics(namespacedTopicAdmin(admin, engine.namespace), topics);
    } finally {
      await admin.close();
    }
    return;
  }
  const bus = await PostgresLogBus.open({ db });
  try {
    await ensureTopics(new PostgresLogTopicAdmin(db), topics);
  } finally {
    await bus.close();
  }
}

/**
 * Opens `count` applicants' accounts with 3000.00 each and starts a loan application for each,
 * cycling through `loanKinds`; returns the applications' kinds by id.
 */
export async function startLoans(
  db: Database,
  count: number,
  engine: LoanCrashEngine = { kind: 'postgres' },
): Promise<Map<string, (typeof loanKinds)[number]['kind']>> {
  // On Kafka the commands go to the outbox table, and the saga processes' relays publish them.
  const bus = engine.kind === 'postgres' ? await PostgresLogBus.open({ db }) : undefined;
  const outbox = bus ? new LogOutbox(bus) : new TableOutbox();
  const orchestrator = new SagaOrchestrator(
    { db, outbox, codec: new JsonCodec(), clock: systemClock, ids: uuidV7Ids, logger: pino({ level: 'silent' }) },
    { definition: loanCrashDefinition, replyTopic: LoanTopics.sagaReplies },
  );
  const kinds = new Map<string, (typeof loanKinds)[number]['kind']>();
  try {
    for (let index = 0; index < count; index += 1) {
      const loan = loanKinds[index % loanKinds.length]!;
      const applicationId = uuidV7Ids.eventId();
      const sagaId = uuidV7Ids.eventId();
      const account = `DE${randomBytes(10).toString('hex').toUpperCase()}`;
      await db.transaction(async (tx) => {
        const data = await insertLoanApplication(tx, {
          applicationId,
          sagaId,
          account,
          name: loan.name,
          amountMinor: loan.amountMinor,
          declaredMonthlyIncomeMinor: loan.incomeMinor,
          apiKeyId: 'crash-test',
        });
        await orchestrator.start(sagaId, data, tx);
      });
      kinds.set(applicationId, loan.kind);
    }
  } finally {
    await bus?.close();
  }
  return kinds;
}
