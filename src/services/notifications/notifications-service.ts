import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { customerFacingTopics, PaymentEventTypes, type PaymentTopic } from '../../contracts/topics.ts';
import { customerEventType } from '../../contracts/customer-view.ts';
import { BackboneError, ErrorCodes } from '../../backbone/errors.ts';
import type { PaymentService, ServiceDeps } from '../service.ts';
import type { RequireScope } from '../http/index.ts';
import { fanOutHandler, noAccountContacts, type AccountContacts } from './handlers.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { JsonLinesNotificationProvider, type NotificationProvider } from './provider.ts';
import { notificationMetrics } from './metrics.ts';
import { deliveryRetryDelaysMsDefault } from './retry-schedule.ts';
import { notificationsMigrations } from './migrations.ts';
import { webhookRoutes } from './routes.ts';

export interface NotificationsServiceOptions {
  /** The API server's scope check (`payments:read` / `payments:write`). */
  requireScope: RequireScope;
  /** Topics to notify about. Default `customerFacingTopics` (completed, failed, rejected, blocked). */
  topics?: readonly string[];
  /** Event types a webhook may subscribe to. Default: the customer's names for the event types of `topics` (a block is a `PaymentRejected`). */
  eventTypes?: readonly string[];
  /** Contact data of a debtor account; default none (webhooks only). */
  accountContacts?: AccountContacts;
  /** Email and SMS gateway. Default: JSON lines appended to `sinkPath`. */
  provider?: NotificationProvider;
  /** The default provider's file. Default `.paystream/notifications.jsonl` (the embedded data dir). */
  sinkPath?: string;
  /** Delays before each retry of a delivery; after the last, it is dead-lettered. Default 1 s, 5 s, 30 s, 2 min, 10 min. */
  retryDelaysMs?: readonly number[];
  /** Longest wait for a webhook's answer. Default 10 000. */
  timeoutMs?: number;
  /** How long a claimed delivery is reserved for the worker sending it. Default `timeoutMs` + 30 000. */
  leaseMs?: number;
  /** Deliveries sent concurrently per worker round. Default 16. */
  claimBatch?: number;
  /** Longest sleep of the worker without a wake-up. Default 30 000. */
  idlePollMs?: number;
  /** The worker's pause after a failed round (database down). Default 1000. */
  failureBackoffMs?: number;
  /** Blocking retry delays of the consumer (database failures). Default: the backbone's. */
  consumerRetryDelaysMs?: readonly number[];
  /** Makes a webhook signing secret. Default `whsec_` + 32 random bytes, base64url. */
  newSecret?: () => string;
  /** Largest page of `GET /v1/webhooks/{id}/deliveries`. Default 500. */
  maxPageDeliveries?: number;
}

export interface NotificationsService extends PaymentService {
  /** The delivery worker (also in `workers`), for tools and tests that drive it by hand. */
  deliveryWorker: DeliveryWorker;
}

export const notificationsServiceName = 'notifications';

/**
 * The notifications service: consumer `notifications` records, per customer-facing event, one
 * delivery per matching webhook subscription and per contact of the debtor account; the delivery
 * worker sends them (signed webhooks, emails, SMS) with retries and keeps what could not be
 * delivered as dead-lettered rows for operators; the routes manage subscriptions.
 */
export function createNotificationsService(deps: ServiceDeps, options: NotificationsServiceOptions): NotificationsService {
  const settings = validate(options);
  const provider = options.provider ?? new JsonLinesNotificationProvider(settings.sinkPath, () => deps.clock.nowMs());
  const deliveryWorker = new DeliveryWorker({
    db: deps.db,
    clock: deps.clock,
    ids: deps.ids,
    logger: deps.logger,
    metrics: notificationMetrics(deps.metricsRegistry),
    provider,
    retryDelaysMs: settings.retryDelaysMs,
    timeoutMs: settings.timeoutMs,
    leaseMs: settings.leaseMs,
    claimBatch: settings.claimBatch,
    idlePollMs: settings.idlePollMs,
    failureBackoffMs: settings.failureBackoffMs,
  });
  return {
    name: notificationsServiceName,
    migrations: notificationsMigrations,
    consumers: [
      {
        name: notificationsServiceName,
        topics: settings.topics,
        batchHandler: fanOutHandler({ clock: deps.clock, ids: deps.ids, accountContacts: options.accountContacts ?? noAccountContacts }),
        retry: options.consumerRetryDelaysMs ? { mode: 'blocking', delaysMs: options.consumerRetryDelaysMs } : { mode: 'blocking' },
      },
    ],
    routes: webhookRoutes({
      db: deps.db,
      clock: deps.clock,
      ids: deps.ids,
      logger: deps.logger,
      requireScope: options.requireScope,
      subscribableEventTypes: settings.eventTypes,
      newSecret: options.newSecret ?? (() => `whsec_${randomBytes(32).toString('base64url')}`),
      maxPageDeliveries: settings.maxPageDeliveries,
    }),
    workers: [deliveryWorker],
    deliveryWorker,
  };
}

function validate(options: NotificationsServiceOptions) {
  const topics = [...new Set(options.topics ?? customerFacingTopics)];
  const timeoutMs = options.timeoutMs ?? 10_000;
  const settings = {
    topics,
    eventTypes: [
      ...new Set(options.eventTypes ?? topics.flatMap((topic) => customerEventType(PaymentEventTypes[topic as PaymentTopic] ?? '') ?? [])),
    ],
    sinkPath: options.sinkPath ?? join('.paystream', 'notifications.jsonl'),
    retryDelaysMs: options.retryDelaysMs ?? deliveryRetryDelaysMsDefault,
    timeoutMs,
    leaseMs: options.leaseMs ?? timeoutMs + 30_000,
    claimBatch: options.claimBatch ?? 16,
    idlePollMs: options.idlePollMs ?? 30_000,
    failureBackoffMs: options.failureBackoffMs ?? 1000,
    maxPageDeliveries: options.maxPageDeliveries ?? 500,
  };
  const fail = (message: string) => new BackboneError(ErrorCodes.INVALID_OPTIONS, `notifications: ${message}`);
  const positive = (value: number) => Number.isInteger(value) && value > 0;
  if (typeof options.requireScope !== 'function') throw fail('requireScope is required');
  if (topics.length === 0) throw fail('topics must not be empty');
  if (settings.eventTypes.length === 0) throw fail('eventTypes must not be empty (give them for topics outside src/contracts)');
  // A zero delay would make a failing delivery due again within the same round.
  if (!settings.retryDelaysMs.every(positive)) throw fail('retryDelaysMs must be positive integers (ms)');
  for (const [name, value] of Object.entries({
    timeoutMs,
    claimBatch: settings.claimBatch,
    idlePollMs: settings.idlePollMs,
    failureBackoffMs: settings.failureBackoffMs,
    maxPageDeliveries: settings.maxPageDeliveries,
  })) {
    if (!positive(value)) throw fail(`${name} must be a positive integer`);
  }
  // A lease shorter than the request would let a second worker send while the first still waits.
  if (!positive(settings.leaseMs) || settings.leaseMs <= timeoutMs) throw fail('leaseMs must be an integer greater than timeoutMs');
  return settings;
}
