import type { PaymentService, ServiceDeps } from '../service.ts';
import { BackboneError, ErrorCodes } from '../../backbone/errors.ts';
import { PaymentTopics } from '../../contracts/topics.ts';
import { resolveFraudRulesConfig, type FraudRulesConfigInput } from './domain/config.ts';
import { fraudScoringHandler, type FraudInputTopic } from './handlers.ts';
import { fraudMetrics } from './metrics.ts';
import { fraudMigrations } from './migrations.ts';

export interface FraudServiceOptions {
  /** The topic of payments to score. Default `payments.initiated.v1` (screening's output). */
  inputTopic?: FraudInputTopic;
  /** Overrides of the rules' defaults (`defaultFraudRulesConfig`), validated here. */
  rules?: FraudRulesConfigInput;
  /** Delays of the consumer's blocking retries. Default the backbone's (1 s, 5 s, 30 s). */
  retryDelaysMs?: readonly number[];
}

/**
 * Fraud scoring: weighted, explainable rules over each debtor account's recent payments; scores
 * every initiated payment (`payments.scored.v1`), clears it (`payments.cleared.v1`) or holds it for
 * a compliance officer (a FRAUD case, `payments.held.v1`). See docs/fraud.md.
 *
 * Its cases live in the compliance case queue, so the process must also apply the
 * compliance-cases migrations (the platform applies every service's).
 */
export function createFraudService(deps: ServiceDeps, options: FraudServiceOptions = {}): PaymentService {
  const inputTopic = options.inputTopic ?? PaymentTopics.initiated;
  if (inputTopic.length === 0) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, 'fraud service: inputTopic must not be empty');
  const config = resolveFraudRulesConfig(options.rules);
  return {
    name: 'fraud',
    migrations: fraudMigrations,
    consumers: [
      {
        name: 'fraud-scoring',
        topics: [inputTopic],
        batchHandler: fraudScoringHandler({ inputTopic, config, ids: deps.ids, metrics: fraudMetrics(deps.metricsRegistry) }),
        retry: { mode: 'blocking', ...(options.retryDelaysMs ? { delaysMs: options.retryDelaysMs } : {}) },
      },
    ],
  };
}

export { fraudMigrations } from './migrations.ts';
export { clearedByFraudScoring } from './handlers.ts';
export * from './domain/config.ts';
export * from './domain/rules.ts';
