export type { BackgroundWorker, CausedEvent, EventPublisher, PaymentService, ServiceDeps } from './service.ts';
export { outboxPublisher } from './outbox-publisher.ts';
