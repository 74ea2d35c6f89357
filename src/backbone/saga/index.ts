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
export { SagaOrchestrator, type SagaOrchestratorDeps, type SagaOrchestratorOptions, type SagaTransition } from './saga-orchestrator.ts';
export {
  encodeSagaCommands,
  sagaCommandEventType,
  sagaReplyEventType,
  sagaReplyTo,
  type CommandChannel,
  type CommandParticipant,
  type OutgoingSagaCommand,
  type SagaCommandMessage,
  type SagaParticipantHandler,
  type SagaReply,
} from './command-channel.ts';
export { BusCommandChannel, sagaParticipant, type BusCommandChannelDeps } from './bus-command-channel.ts';
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
export { sagaStateDiagram } from './state-diagram.ts';
