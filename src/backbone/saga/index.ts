export {
  commandIdOf,
  decideSaga,
  evolveSaga,
  type SagaCommand,
  type SagaDecision,
  type SagaDefinition,
  type SagaEvent,
  type SagaInput,
  type SagaOutcome,
  type SagaState,
  type SagaStatus,
  type SagaStep,
} from './definition.ts';
export {
  SagaOrchestrator,
  sagaCommandEventType,
  sagaReplyEventType,
  sagaParticipant,
  sagaReplyTo,
  type SagaParticipantHandler,
  type SagaCommandMessage,
  type SagaOrchestratorDeps,
  type SagaOrchestratorOptions,
  type SagaReply,
  type SagaTransition,
} from './saga-orchestrator.ts';
export { createSagaMetrics, sagaStepDurationBucketsSeconds, type SagaMetrics } from './saga-metrics.ts';
export { retryStuckSaga, type SagaRetryRequest, type SagaRetryResult } from './saga-retry.ts';
export {
  listSagaInstances,
  readSagaInstance,
  type SagaActivityView,
  type SagaInstanceView,
  type SagaListQuery,
  type SagaSummaryView,
} from './saga-view.ts';
export { sagaMigrations } from './migrations.ts';
export { sagaTopics } from './saga-topics.ts';
