/**
 * The screening stage of the payment flow (docs/screening.md, "The screening stage"):
 *
 * ```
 * payments.validated.v1 ──▶ screening ──▶ payments.initiated.v1                 both parties LOW, Travel Rule met
 *                                     ├─▶ payments.blocked.v1 + aml.alert-raised.v1   a HIGH match (SANCTIONS_HIT)
 *                                     ├─▶ SCREENING case + payments.held.v1           a MEDIUM match (officer decides)
 *                                     ├─▶ payments.rejected.v1                         Travel Rule information missing
 *                                     └─▶ payments.failed.v1                           lists unavailable on the last attempt
 * ```
 *
 * - consumer `screening` (blocking retries: an account's payments keep their order);
 * - worker `screening-lists`: loads the lists in the background, then reloads changed files;
 * - table `screening_decisions`: every decision with its evidence (`screeningDecisionsTable`, the
 *   reconciliation port);
 * - route `GET /v1/screening/lists` (scope `ops`).
 *
 * Its cases live in the compliance case queue, so the process must also apply the compliance-cases
 * migrations (the platform applies every service's).
 */
import type { PaymentService, ServiceDeps } from '../../service.ts';
import type { RequireScope } from '../../http/scopes.ts';
import type { ReadFile } from '../lists/source.ts';
import type { StatFile } from '../store/list-watcher.ts';
import { screeningDecisionMigrations } from './decisions-table.ts';
import { screeningHandler } from './handlers.ts';
import { ScreeningLists } from './lists.ts';
import { resolveScreeningStageOptions, type ScreeningStageOptions } from './options.ts';
import type { ScreeningOptions } from '../engine/options.ts';
import { screeningRoutes } from './routes.ts';
import { screeningMetrics } from './metrics.ts';

export interface ScreeningService extends PaymentService {
  lists: ScreeningLists;
  /** The engine's options outside any corridor rule (thresholds, allow list): a loan applicant is screened with them. */
  baseOptions: ScreeningOptions;
}

export function createScreeningService(
  deps: ServiceDeps,
  options: ScreeningStageOptions & { requireScope: RequireScope; readFile?: ReadFile; stat?: StatFile },
): ScreeningService {
  const resolved = resolveScreeningStageOptions(options);
  const lists = new ScreeningLists({
    sources: resolved.sources,
    extraLists: resolved.extraLists,
    listPollIntervalMs: resolved.listPollIntervalMs,
    listLoadRetryDelayMs: resolved.listLoadRetryDelayMs,
    clock: deps.clock,
    logger: deps.logger,
    ...(options.readFile ? { readFile: options.readFile } : {}),
    ...(options.stat ? { stat: options.stat } : {}),
  });
  return {
    name: 'screening',
    migrations: screeningDecisionMigrations,
    consumers: [
      {
        name: 'screening',
        topics: [resolved.inputTopic],
        batchHandler: screeningHandler({
          lists,
          options: resolved,
          ids: deps.ids,
          clock: deps.clock,
          metrics: screeningMetrics(deps.metricsRegistry),
        }),
        retry: { mode: 'blocking', delaysMs: resolved.retryDelaysMs },
      },
    ],
    routes: screeningRoutes({ lists, requireScope: options.requireScope }),
    workers: [lists.worker()],
    lists,
    baseOptions: resolved.base.options,
  };
}

export { screeningDecisionsTable, screeningDecisionMigrations, type ScreeningDecisionRecord } from './decisions-table.ts';
export {
  resolveScreeningStageOptions,
  defaultTravelRuleThresholds,
  type ScreeningStageOptions,
  type CorridorRuleInput,
  type ResolvedScreeningStageOptions,
} from './options.ts';
export { corridorOf, alpha3Of, unknownCountry, type Corridor } from './corridor.ts';
export { checkTravelRule, travelRuleReason, type TravelRuleResult } from './travel-rule.ts';
export { decideScreening, type ScreeningOutcome, type ScreeningVerdict, type PartyRole } from './decide.ts';
export { ScreeningLists } from './lists.ts';
