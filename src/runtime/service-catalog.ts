import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PaymentService, ServiceDeps } from '../services/index.ts';
import { createGatewayService, requireScope } from '../services/gateway/index.ts';
import { createValidationService } from '../services/validation/index.ts';
import { createLedgerService } from '../services/ledger/index.ts';
import { createRtgsGatewayService, type RtgsGatewayOptions } from '../services/rtgs/index.ts';
import { createAuditService } from '../services/audit/index.ts';
import { createNotificationsService } from '../services/notifications/index.ts';
import { createComplianceCasesService } from '../services/compliance-cases/index.ts';
import { createFraudService } from '../services/fraud/index.ts';
import { createReconciliationService } from '../services/reconciliation/index.ts';
import type { PaystreamConfig } from './config.ts';

/** Knobs tests and benchmarks turn; production runs on the defaults. */
export interface ServiceTuning {
  retryDelaysMs?: readonly number[];
  rtgs?: Partial<Pick<RtgsGatewayOptions, 'timeoutMs' | 'statusChaser' | 'circuitBreaker' | 'retryDelaysMs' | 'validateOutgoing' | 'maxBatchRecords'>>;
  notifications?: { retryDelaysMs?: readonly number[] };
}

export const serviceNames = ['gateway', 'validation', 'ledger', 'rtgs', 'notifications', 'audit', 'compliance-cases', 'fraud', 'reconciliation'] as const;

/**
 * Every payment service, wired with its options. The flow's topology lives here: the topic each
 * stage consumes is chosen here, so inserting a stage (compliance) changes this file, not the
 * services around it.
 */
export function buildServices(deps: ServiceDeps, config: PaystreamConfig, tuning: ServiceTuning): PaymentService[] {
  const retry = tuning.retryDelaysMs ? { retryDelaysMs: tuning.retryDelaysMs } : {};
  return [
    createGatewayService(deps, { requireScope }),
    createValidationService(deps, retry),
    createLedgerService(deps, { requireScope, ...retry }),
    createRtgsGatewayService(deps, {
      networkUrl: config.rtgs.url ?? 'http://127.0.0.1:4100',
      // Unconfigured, a random token: nobody can call back, which is the safe default.
      callbackToken: config.rtgs.callbackToken ?? randomBytes(24).toString('base64url'),
      instructingAgentBic: config.bank.bic,
      instructedAgentBic: config.rtgs.operatorBic,
      ...retry,
      ...tuning.rtgs,
    }),
    createNotificationsService(deps, {
      requireScope,
      sinkPath: join(config.dataDir, 'notifications.jsonl'),
      accountContacts: async (tx, account) => {
        const found = await tx.query<{ email: string | null; phone: string | null }>(`select email, phone from ledger_accounts where account_id = $1`, [account]);
        const row = found.rows[0];
        return row && { ...(row.email ? { email: row.email } : {}), ...(row.phone ? { phone: row.phone } : {}) };
      },
      ...(tuning.notifications?.retryDelaysMs ? { retryDelaysMs: tuning.notifications.retryDelaysMs } : {}),
      ...(tuning.retryDelaysMs ? { consumerRetryDelaysMs: tuning.retryDelaysMs } : {}),
    }),
    createAuditService(deps, { requireScope, ...retry }),
    createComplianceCasesService(deps, { requireScope }),
    createFraudService(deps, retry),
    createReconciliationService(deps, { requireScope, networkUrl: config.rtgs.url ?? 'http://127.0.0.1:4100', participantBic: config.bank.bic }),
  ];
}
