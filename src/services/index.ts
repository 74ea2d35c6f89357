export type { BackgroundWorker, EventPublisher, PaymentService, ServiceDeps } from './service.ts';
