/**
 * Payment authorization (issue 20, docs/authorization.md): a keyed stream processor on the
 * backbone's stream runner (src/backbone/stream/), deciding card-style authorization requests
 * against account state that a legacy core sends late.
 *
 * - consumer `authorization`: `authorizations.requested.v1`, `accounts.state.v1` (state updates and
 *   the core's watermarks) and `authorizations.override-requested.v1`, co-partitioned by account
 *   id; decisions to `authorizations.decided.v1` and the service's projection, exactly-once;
 * - worker `authorization-timers`: the grace deadlines, fired where no record arrives any more;
 * - routes: `POST /v1/authorizations`, `GET /v1/authorizations/{id}`, `POST …/{id}/override`;
 * - tables: requests, decisions, overrides (migrations.ts); the processor's state and timers are
 *   the stream runner's tables.
 *
 * The processor (domain/) is the one the replay runs (`paystream authz replay`).
 */
import type { Logger } from 'pino';
import { StreamRunner } from '../../backbone/stream/index.ts';
import type { FaultInjector } from '../../backbone/faults.ts';
import type { RequireScope } from '../http/scopes.ts';
import type { BackgroundWorker, PaymentService, ServiceDeps, StreamPorts } from '../service.ts';
import { authorizationStreamDefinition, type AuthorizationStoreValues } from './handlers.ts';
import { authorizationMetrics } from './metrics.ts';
import { authorizationMigrations } from './migrations.ts';
import { authorizationOptions, type AuthorizationOptions } from './options.ts';
import { authorizationRoutes } from './routes.ts';
import { coreFeedSimulator, type CoreFeedOptions } from './core-feed-simulator.ts';
import type { AuthorizationInput, AuthorizationOutput } from './domain/types.ts';

export interface AuthorizationServiceOptions {
  requireScope: RequireScope;
  /** The processor's rules' options (grace, stand-in limit, windows); the defaults when absent. */
  rules?: Partial<AuthorizationOptions>;
  /** How long the override route waits for the processor's outcome before answering 202. Default 5,000. */
  overrideWaitMs?: number;
  /** The timer worker's longest sleep. Default 1,000 (a deadline fires when due; this is the safety net). */
  timerPollMsMax?: number;
  /** Crash points for fault-injection tests. */
  faults?: FaultInjector;
  /** Runs a simulated legacy core beside the service (README, local trials): state updates and watermarks, late. */
  coreFeed?: CoreFeedOptions;
}

export interface AuthorizationService extends PaymentService {
  runner: StreamRunner<AuthorizationInput, AuthorizationOutput, AuthorizationStoreValues>;
}

export function createAuthorizationService(deps: ServiceDeps & StreamPorts, options: AuthorizationServiceOptions): AuthorizationService {
  const rules = authorizationOptions(options.rules);
  const hooks = authorizationMetrics(deps.metricsRegistry, deps.db);
  const runner = new StreamRunner(
    {
      db: deps.db,
      outbox: deps.outbox,
      codec: deps.codec,
      clock: deps.clock,
      ids: deps.ids,
      admin: deps.topicAdmin,
      ...(options.faults ? { faults: options.faults } : {}),
    },
    authorizationStreamDefinition(rules, hooks),
    options.timerPollMsMax === undefined ? {} : { timerPollMsMax: options.timerPollMsMax },
  );
  return {
    name: 'authorization',
    migrations: authorizationMigrations,
    // Its deduplication is the processor's own (a seen request id, a version not above the highest): see StreamRunner.
    consumers: [runner.consumerOptions({ retry: { mode: 'blocking', delaysMs: [200, 1_000, 5_000, 30_000] } })],
    routes: authorizationRoutes({
      db: deps.db,
      publisher: deps.publisher,
      clock: deps.clock,
      ids: deps.ids,
      requireScope: options.requireScope,
      overrideWaitMs: options.overrideWaitMs ?? 5_000,
      overridePollMs: 20,
    }),
    workers: [
      timerWorker(runner, deps.logger),
      ...(options.coreFeed ? [coreFeedSimulator({ ...deps, topicAdmin: deps.topicAdmin }, options.coreFeed)] : []),
    ],
    runner,
  };
}

function timerWorker(
  runner: StreamRunner<AuthorizationInput, AuthorizationOutput, AuthorizationStoreValues>,
  logger: Logger,
): BackgroundWorker {
  return {
    name: 'authorization-timers',
    start: () => runner.startTimers((error) => logger.error({ err: error }, 'authorization timers failed; retrying')),
    stop: () => runner.stop(),
  };
}

export { authorizationOptions, defaultAuthorizationOptions, type AuthorizationOptions } from './options.ts';
export {
  authorizationProcessor,
  emptyAccount,
  type AccountRecord,
  type AuthorizationHooks,
  type AuthorizationStores,
} from './domain/authorization-processor.ts';
export { replayScenario, parseScenario, decisionLine, ScenarioLineError, type ReplayResult } from './domain/replay.ts';
export { authorizationMigrations } from './migrations.ts';
export { coreFeedSimulator, type CoreAccount, type CoreFeedOptions } from './core-feed-simulator.ts';
export { authorizationStreamDefinition, authorizationProcessorName } from './handlers.ts';
export type * from './domain/types.ts';
