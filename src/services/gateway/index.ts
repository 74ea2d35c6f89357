import type { PaymentService, ServiceDeps } from '../service.ts';
import type { RequireScope } from '../http/scopes.ts';
import { PaymentTopics, type PaymentTopic } from '../../contracts/topics.ts';
import { gatewayMigrations } from './migrations.ts';
import { PaymentIntake } from './intake.ts';
import { paymentRoutes } from './routes.ts';
import { defaultStatusByTopic, statusProjectionHandler, statusRank } from './handlers.ts';

export interface GatewayServiceOptions {
  requireScope: RequireScope;
  /** Topic → the status its events mean (the compliance stages add theirs). */
  statusByTopic?: ReadonlyMap<string, string>;
  statusRanks?: Readonly<Record<string, number>>;
  /** Topics whose events join a payment's timeline. Default: every payment topic. */
  timelineTopics?: readonly PaymentTopic[];
  maxBatchItems?: number;
}

/**
 * The payment API: accepts payments (202 at once, group commit, idempotency) and answers their
 * status and timeline, projected from the payment events by its `payment-status` consumer.
 */
export function createGatewayService(deps: ServiceDeps, options: GatewayServiceOptions): PaymentService {
  const intake = new PaymentIntake(deps, options.maxBatchItems === undefined ? {} : { maxBatchItems: options.maxBatchItems });
  const statusByTopic = options.statusByTopic ?? defaultStatusByTopic;
  const timelineTopics = options.timelineTopics ?? Object.values(PaymentTopics);
  return {
    name: 'gateway',
    migrations: gatewayMigrations,
    consumers: [
      {
        name: 'payment-status',
        topics: timelineTopics,
        batchHandler: statusProjectionHandler(statusByTopic, options.statusRanks ?? statusRank),
        retry: { mode: 'non-blocking' },
        // The projection is idempotent per event (timeline keyed by event id, statuses that only
        // move forward) and emits nothing: no processed-id row for each of a payment's events.
        deduplication: 'handler',
      },
    ],
    routes: paymentRoutes({ db: deps.db, ids: deps.ids, intake, requireScope: options.requireScope }),
  };
}

export { ApiKeys, apiKeyCacheTtlMsDefault, localOperatorKeyId, type ApiKeyView } from './api-keys.ts';
export { apiKeyRoutes, maxKeyLabelLength } from './api-key-routes.ts';
export { installApiKeyAuth, requireScope, schemaRegistryAuthorizer } from './auth.ts';
export { gatewayMigrations } from './migrations.ts';
export { statusRank, defaultStatusByTopic } from './handlers.ts';
export { checkPaymentRequest } from './domain/payment-request.ts';
export { paymentsEndedBetween, paymentsByIds, type PaymentSnapshot } from './queries.ts';
