/**
 * The loan approval saga as its own process, for the loan crash tests: the orchestrator's reply
 * consumer and timers, the loans service's participants and the ledger's, on PostgreSQL and the
 * table log (the embedded engine's log on a server, so several processes can share it). The
 * configuration comes from the environment (a test program, not a service):
 *
 *   DATABASE_URL  ENGINE=postgres|kafka  KAFKA_BROKERS  NAMESPACE (kafka: the run's topic and group prefix)
 *   CRASH_POINT=consumer.after-commit|relay.after-publish|participant:<STEP>|transition:<STEP>|none
 *   CRASH_AFTER=<n>   kill -9 ourselves the n-th time the point is reached
 *
 * `participant:<STEP>`: a participant did the work of the command STEP (a step or a compensation)
 * in its transaction, which has not committed. `transition:<STEP>`: the orchestrator recorded a fact
 * of STEP and its next command in its transaction, which has not committed.
 * `consumer.after-commit`: any of the consumers committed, before the bus's offset commit.
 *
 * KYC screens by name (an applicant whose name starts with `Listed` is HIGH) and the ledger refuses
 * to pay out an amount of 7777.77 (as it would an account closed meanwhile), so the load reaches
 * every compensation. It prints "ready" once its consumers run, and runs until killed.
 */
import pino from 'pino';
import { ConsumerRunner } from '../../src/backbone/consumer/consumer-runner.ts';
import { JsonCodec } from '../../src/backbone/codec/json-codec.ts';
import { EventEncoder } from '../../src/backbone/envelope/event-encoder.ts';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import { SagaOrchestrator, sagaParticipant, type SagaParticipantHandler } from '../../src/backbone/saga/index.ts';
import { LoanCommandNames, LoanTopics, loanSagaDataOf } from '../../src/contracts/loans.ts';
import { outboxPublisher } from '../../src/services/outbox-publisher.ts';
import { ledgerLoanParticipant } from '../../src/services/ledger/handlers.ts';
import { applicationView, loanParticipant } from '../../src/services/loans/handlers.ts';
import { crashInjectorFromEnv, openFaultBackbone } from './fault-process.ts';
import { loanCrashOptions, loanCrashDefinition, loanCrashCapacity } from './loan-saga-setup.ts';

const faults = crashInjectorFromEnv();
const { db, bus, outbox, relay } = await openFaultBackbone('loans', faults);
const codec = new JsonCodec();
const logger = pino({ level: 'warn' }, pino.destination(2));
const deps = { db, bus, outbox, codec, clock: systemClock, ids: uuidV7Ids, logger, faults };

const orchestrator = new SagaOrchestrator(
  { db, outbox, codec, clock: systemClock, ids: uuidV7Ids, logger },
  {
    definition: loanCrashDefinition,
    replyTopic: LoanTopics.sagaReplies,
    timerPollMsMax: 100,
    onTransition: async (tx, transition) => {
      await applicationView({ publisher: outboxPublisher(new EventEncoder(codec, uuidV7Ids, systemClock), outbox), clock: systemClock })(
        tx,
        transition,
      );
      for (const event of transition.events) {
        if (!('step' in event)) continue;
        const step = loanCrashDefinition.steps[event.step]!;
        faults.reach(`transition:${event.type.startsWith('Compensation') ? step.compensation : step.name}`);
      }
    },
  },
);

/** The participant, then the crash point before its transaction commits. */
const crashing =
  (participant: SagaParticipantHandler): SagaParticipantHandler =>
  async (command, context) => {
    await participant(command, context);
    faults.reach(`participant:${command.name}`);
  };

const ledger = ledgerLoanParticipant({ lendingCapacityMinor: loanCrashCapacity, ids: uuidV7Ids });
const refusingDisbursement: SagaParticipantHandler = async (command, context) => {
  if (command.name === LoanCommandNames.disburse && loanSagaDataOf(command.data).amountMinor === 777_777n) {
    return context.reply(false, 'the test refuses this disbursement');
  }
  return ledger(command, context);
};
const loans = loanParticipant({
  options: loanCrashOptions,
  screenApplicant: (party) => ({
    band: party.name.startsWith('Listed') ? 'HIGH' : 'LOW',
    score: party.name.startsWith('Listed') ? 1 : 0,
    pep: false,
    matches: [],
    suppressed: [],
    listVersions: [],
  }),
  clock: systemClock,
  ids: uuidV7Ids,
});

const retry = { mode: 'blocking', delaysMs: [100, 200, 400, 800] } as const;
const runners = [
  new ConsumerRunner(deps, { ...orchestrator.replyConsumer(), retry }),
  new ConsumerRunner(deps, { ...sagaParticipant('loans', [LoanTopics.loanCommands], crashing(loans)), retry }),
  new ConsumerRunner(deps, { ...sagaParticipant('ledger-loans', [LoanTopics.ledgerCommands], crashing(refusingDisbursement)), retry }),
];
relay?.start();
await Promise.all(runners.map((runner) => runner.start()));
await orchestrator.startTimers((error) => logger.error({ err: error }, 'loan timers'));
process.stdout.write('ready\n');

process.on('SIGTERM', async () => {
  await Promise.all(runners.map((runner) => runner.stop()));
  await orchestrator.stop();
  await relay?.stop();
  await bus.close();
  await db.close();
  process.exit(0);
});
