import type { Backbone } from './backbone.ts';
import type { PaystreamConfig } from './config.ts';
import type { ApiKeys } from '../services/gateway/index.ts';
import { requireScope } from '../services/gateway/index.ts';
import { Scopes } from '../services/http/index.ts';
import {
  createOrdersApp,
  httpPaymentsApi,
  storedPaymentsApiKey,
  storePaymentsApiKey,
  type OrdersApp,
  type OrdersAppOptions,
} from '../apps/orders/index.ts';

/** Knobs of the order flow for tests and benchmarks (production runs on the defaults). */
export type OrdersTuning = Pick<OrdersAppOptions, 'retryDelaysMs' | 'payment' | 'fraudCheck'>;

export interface OrdersRuntime {
  app: OrdersApp;
  /**
   * Once the platform listens: where the payment API is (ORDERS_PAYMENTS_API_URL, or this
   * process's own `url`), and the order flow's key for it (created at the first start with the
   * narrowest scopes, payments:write and payments:read, and shared by every process through the
   * app's table; never logged). Calls made before wait for the recovery loop.
   */
  connect(url: string, apiKeys: ApiKeys): Promise<void>;
}

/** The order flow (src/apps/orders) wired on the platform's backbone; its parts run like services. */
export function ordersRuntime(backbone: Backbone, config: PaystreamConfig, tuning: OrdersTuning = {}): OrdersRuntime {
  let baseUrl: string | undefined;
  let apiKey: string | undefined;
  const paymentsApi = httpPaymentsApi({
    baseUrl: () => baseUrl ?? notYet(),
    apiKey: () => apiKey ?? notYet(),
  });
  const app = createOrdersApp(
    {
      db: backbone.db,
      outbox: backbone.outbox,
      codec: backbone.codec,
      clock: backbone.clock,
      ids: backbone.ids,
      logger: backbone.logger,
      requireScope,
      // The gateway's authentication hook (installApiKeyAuth) set the principal before any route runs.
      callerOf: (request) => request.principal?.keyId ?? 'anonymous',
      callerHolds: (request, scope) => request.principal?.scopes.has(scope) ?? false,
      metricsRegistry: backbone.metricsRegistry,
      paymentsApi,
    },
    { bankBic: config.bank.bic, ...tuning },
  );
  return {
    app,
    async connect(url, apiKeys) {
      baseUrl = config.orders?.paymentsApiUrl ?? url;
      const stored = await storedPaymentsApiKey(backbone.db);
      if (stored && (await apiKeys.verify(stored.apiKey))) {
        apiKey = stored.apiKey;
        return;
      }
      // None yet, or revoked by an operator: a new one (payments in flight under the old key are
      // looked up by their payment id, which does not depend on the key).
      const created = await apiKeys.create('order flow (src/apps/orders)', [Scopes.paymentsWrite, Scopes.paymentsRead]);
      const kept = await storePaymentsApiKey(backbone.db, { apiKey: created.key, keyId: created.keyId }, stored !== undefined);
      if (kept.keyId !== created.keyId) await apiKeys.revoke(created.keyId, 'orders-runtime'); // another process stored one first
      apiKey = kept.apiKey;
    },
  };
}

function notYet(): never {
  throw new Error('the order flow is not connected to the payment API yet');
}
