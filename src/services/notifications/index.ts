export {
  createNotificationsService,
  notificationsServiceName,
  type NotificationsService,
  type NotificationsServiceOptions,
} from './notifications-service.ts';
export { noAccountContacts, type AccountContacts } from './handlers.ts';
export { JsonLinesNotificationProvider, type EmailMessage, type NotificationProvider, type SmsMessage } from './provider.ts';
export { DeliveryWorker, webhookBody } from './delivery-worker.ts';
export { eventIdHeader, signatureHeader, signWebhook, verifyWebhookSignature, type WebhookSignatureCheck } from './signature.ts';
export { deliveryRetryDelaysMsDefault } from './retry-schedule.ts';
export { notificationsMigrations, deliveriesChannel } from './migrations.ts';
export { webhooksReadScope, webhooksWriteScope } from './routes.ts';
export type { DeliveryChannel, DeliveryStatus, DeliveryView } from './deliveries.ts';
export type { WebhookSubscription } from './subscriptions.ts';
export type { Problem, RequireScope } from '../http/index.ts';
