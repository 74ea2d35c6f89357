/**
 * Loan approval (docs/loans.md): `POST /v1/loan-applications` starts the loan approval saga, an
 * orchestrated saga on the backbone (src/backbone/saga/):
 *
 *   START → KYC_CHECK → CREDIT_SCORE → RISK_ASSESSMENT → APPROVED
 *   failure: REVERT_RISK → RELEASE_RESERVATIONS → APPLICATION_REJECTED
 *
 * - consumer `saga.loan-approval`: the orchestrator's replies (`loans.saga-replies.v1`);
 * - participant `loans`: the KYC, credit score and risk participants (`loans.saga-commands.v1`);
 *   START, APPROVED and RELEASE_RESERVATIONS are the ledger's (`ledger.loan-commands.v1`). The
 *   commands travel over the configured command channel (`deps.commandChannel`): on the event bus
 *   the participant is a consumer, on RabbitMQ a worker consuming the destination's queue;
 * - consumer `loans-kyc-decisions`: an officer's decision on an applicant's KYC case;
 * - worker `loan-approval-timers`: the saga's durable deadlines; and the screening lists' loader;
 * - tables: applications, KYC checks, command answers, exposures (migrations.ts).
 */
import type { Logger } from 'pino';
import { SagaOrchestrator, createSagaMetrics } from '../../backbone/saga/index.ts';
import { LoanTopics } from '../../contracts/loans.ts';
import { commandParticipant } from '../saga-participant.ts';
import type { BackgroundWorker, PaymentService, SagaPorts, ServiceDeps } from '../service.ts';
import { applicationView, kycDecisionHandler, loanParticipant } from './handlers.ts';
import { loanMigrations } from './migrations.ts';
import { resolveLoansOptions, type LoansServiceOptions } from './options.ts';
import { loanRoutes } from './routes.ts';
import { loanApprovalSaga } from './saga.ts';

export interface LoansService extends PaymentService {
  orchestrator: SagaOrchestrator;
}

export function createLoansService(deps: ServiceDeps & SagaPorts, options: LoansServiceOptions): LoansService {
  const resolved = resolveLoansOptions(options);
  const definition = loanApprovalSaga(resolved);
  // The saga metrics are the backbone's, one set per registry whatever the saga types.
  const metrics = deps.metricsRegistry.getSingleMetric('paystream_saga_instances')
    ? undefined
    : createSagaMetrics(deps.metricsRegistry, deps.db);
  const orchestrator = new SagaOrchestrator(
    {
      db: deps.db,
      outbox: deps.outbox,
      codec: deps.codec,
      clock: deps.clock,
      ids: deps.ids,
      logger: deps.logger,
      channel: deps.commandChannel,
      ...(metrics ? { metrics } : {}),
    },
    {
      definition,
      replyTopic: LoanTopics.sagaReplies,
      ...(options.timerPollMsMax ? { timerPollMsMax: options.timerPollMsMax } : {}),
      onTransition: applicationView({ publisher: deps.publisher, clock: deps.clock }),
    },
  );
  const retry = { mode: 'blocking', delaysMs: options.retryDelaysMs ?? [200, 1_000, 5_000, 30_000] } as const;
  const participant = commandParticipant(
    deps.commandChannel,
    'loans',
    [LoanTopics.loanCommands],
    loanParticipant({ options: resolved, screenApplicant: options.screenApplicant, clock: deps.clock, ids: deps.ids }),
    retry,
  );
  const workers: BackgroundWorker[] = [timerWorker(orchestrator, deps.logger), ...participant.workers];
  if (options.screeningListsWorker) workers.push(options.screeningListsWorker);
  return {
    name: 'loans',
    migrations: loanMigrations,
    consumers: [
      { ...orchestrator.replyConsumer(), retry },
      ...participant.consumers,
      { name: 'loans-kyc-decisions', topics: [LoanTopics.kycDecisions], handler: kycDecisionHandler(), retry },
    ],
    routes: loanRoutes({ db: deps.db, ids: deps.ids, clock: deps.clock, orchestrator, requireScope: options.requireScope }),
    workers,
    orchestrator,
  };
}

/** The saga's timer worker, as a background worker of the service. */
function timerWorker(orchestrator: SagaOrchestrator, logger: Logger): BackgroundWorker {
  return {
    name: 'loan-approval-timers',
    start: () => orchestrator.startTimers((error) => logger.error({ err: error }, 'loan approval timers failed; retrying')),
    stop: () => orchestrator.stop(),
  };
}

export { loanMigrations } from './migrations.ts';
export { loanApprovalSaga, loanApprovalSagaType, loanStepMaxAttempts } from './saga.ts';
export { resolveLoansOptions, type LoansServiceOptions, type ResolvedLoansOptions } from './options.ts';
export { LoanCustomerReasons } from './domain/customer-view.ts';
export { scoreApplication, defaultScorecard, type Scorecard } from './domain/scorecard.ts';
export { defaultExposureLimits, type ExposureLimits } from './domain/exposure.ts';
