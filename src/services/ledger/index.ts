import type { PaymentService, ServiceDeps } from '../service.ts';
import type { RequireScope } from '../http/scopes.ts';
import { PaymentTopics } from '../../contracts/topics.ts';
import { ledgerMigrations } from './schema.ts';
import { ledgerHandler } from './handlers.ts';
import { ledgerRoutes } from './routes.ts';
import { defaultIbanIssuer, type IbanIssuer } from './iban.ts';

export interface LedgerServiceOptions {
  /** The topic of payments cleared for the ledger: validated today; the last compliance stage's output once it runs. */
  approvedTopic?: string;
  requireScope: RequireScope;
  ibanIssuer?: IbanIssuer;
  retryDelaysMs?: readonly number[];
}

/** Core banking: accounts, a double-entry ledger, holds; reserves, posts and releases payment funds. */
export function createLedgerService(deps: ServiceDeps, options: LedgerServiceOptions): PaymentService {
  const approvedTopic = options.approvedTopic ?? PaymentTopics.validated;
  return {
    name: 'ledger',
    migrations: ledgerMigrations,
    consumers: [
      {
        name: 'ledger',
        topics: [approvedTopic, PaymentTopics.rtgsSettled, PaymentTopics.rtgsRejected],
        handler: ledgerHandler({ approvedTopic, ids: deps.ids }),
        retry: { mode: 'blocking', ...(options.retryDelaysMs ? { delaysMs: options.retryDelaysMs } : {}) },
      },
    ],
    routes: ledgerRoutes({ db: deps.db, ids: deps.ids, requireScope: options.requireScope, ibanIssuer: options.ibanIssuer ?? defaultIbanIssuer }),
  };
}

export { ledgerMigrations } from './schema.ts';
export { findAccount, trialBalance } from './ledger-store.ts';
export * from './domain/ledger.ts';
export { normalizeIban } from './iban.ts';
