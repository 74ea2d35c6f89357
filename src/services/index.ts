export type { BackgroundWorker, CausedEvent, EventPublisher, PaymentService, SagaPorts, ServiceDeps, StreamPorts } from './service.ts';
export { outboxPublisher } from './outbox-publisher.ts';
export { commandParticipant } from './saga-participant.ts';
