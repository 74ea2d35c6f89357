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
export { readSagaInstance, type SagaActivityView, type SagaInstanceView } from './saga-view.ts';
export { sagaMigrations } from './migrations.ts';
export { sagaTopics } from './saga-topics.ts';
export { sagaStateDiagram } from './state-diagram.ts';
