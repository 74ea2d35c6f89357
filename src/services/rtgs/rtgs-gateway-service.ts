import type { PaymentService, ServiceDeps } from '../service.ts';
import { XsdValidator } from '../../contracts/iso20022/xsd-validator.ts';
import { RtgsNetworkClient } from './network-client.ts';
import { resolveRtgsGatewayOptions, type RtgsGatewayOptions } from './options.ts';
import { rtgsMigrations } from './migrations.ts';
import { createSubmitHandler } from './handlers.ts';
import { callbackRoutes } from './callback-route.ts';
import { RtgsStatusChaser } from './status-chaser.ts';
import { createRtgsMetrics } from './metrics.ts';

/** The consumer group of the gateway. */
export const rtgsGatewayConsumerName = 'rtgs-gateway';

/** The gateway as a `PaymentService`, plus its status chaser for tests and operator tools. */
export interface RtgsGatewayService extends PaymentService {
  chaser: RtgsStatusChaser;
  network: RtgsNetworkClient;
}

/**
 * The RTGS gateway: sends reserved RTGS payments to the RTGS network as pacs.008 and turns the
 * network's pacs.002 answers into `rtgs.settled.v1` / `rtgs.rejected.v1`, exactly once per UETR.
 * See docs/rtgs.md for the message flow.
 *
 * - consumer `rtgs-gateway` on `payments.reserved.v1`: records each submission in its batch's
 *   transaction and sends the pacs.008s once it committed (see handlers.ts); non-blocking
 *   retries for a batch that fails to record (the database), while other accounts' payments flow.
 * - route `POST /rtgs/v1/pacs002` for the network's callbacks (header `X-Rtgs-Callback-Token`).
 * - worker `rtgs-status-chaser` for answers that come late or never.
 *
 * Options are validated here, at construction (`BackboneError` INVALID_OPTIONS).
 */
export function createRtgsGatewayService(deps: ServiceDeps, options: RtgsGatewayOptions): RtgsGatewayService {
  const resolved = resolveRtgsGatewayOptions(options);
  const validator = new XsdValidator({ xsdDir: resolved.xsdDir });
  const metrics = createRtgsMetrics(deps.metricsRegistry);
  const logger = deps.logger.child({ component: 'rtgs-gateway' });
  const network = new RtgsNetworkClient({
    networkUrl: resolved.networkUrl,
    timeoutMs: resolved.timeoutMs,
    circuitBreaker: resolved.circuitBreaker,
  });
  network.onCircuitChange((state) => {
    metrics.circuitState.set(state === 'closed' ? 0 : state === 'half-open' ? 1 : 2);
    logger[state === 'open' ? 'warn' : 'info']({ circuit: state }, 'RTGS network circuit breaker changed state');
  });
  const applierDeps = { db: deps.db, publisher: deps.publisher, clock: deps.clock, logger, metrics };
  const chaser = new RtgsStatusChaser({ ...applierDeps, network, validator }, resolved.statusChaser);
  return {
    name: 'rtgs',
    migrations: rtgsMigrations,
    consumers: [
      {
        name: rtgsGatewayConsumerName,
        topics: [resolved.inputTopic],
        batchHandler: createSubmitHandler(
          { clock: deps.clock, logger, network, validator, metrics, applier: applierDeps },
          {
            instructingAgentBic: resolved.instructingAgentBic,
            instructedAgentBic: resolved.instructedAgentBic,
            validateOutgoing: resolved.validateOutgoing,
            firstCheckAfterMs: resolved.statusChaser.firstCheckAfterMs,
          },
        ),
        retry: { mode: 'non-blocking', delaysMs: resolved.retryDelaysMs },
        maxBatchRecords: resolved.maxBatchRecords,
      },
    ],
    routes: callbackRoutes({ ...applierDeps, validator }, { path: resolved.callbackPath, callbackToken: resolved.callbackToken }),
    workers: [chaser],
    chaser,
    network,
  };
}
