import type { PaymentService, SagaPorts, ServiceDeps } from '../service.ts';
import { commandParticipant } from '../saga-participant.ts';
import type { RequireScope } from '../http/scopes.ts';
import { PaymentTopics } from '../../contracts/topics.ts';
import { ledgerMigrations } from './migrations.ts';
import { ledgerHandler, ledgerLoanParticipant, type LedgerApprovedTopic } from './handlers.ts';
import { LoanTopics } from '../../contracts/loans.ts';
import { ledgerRoutes } from './routes.ts';
import { defaultIbanIssuer, type IbanIssuer } from './iban.ts';

export interface LedgerServiceOptions {
  /** The topic of payments cleared for the ledger: validated today; the last compliance stage's output once it runs. */
  approvedTopic?: LedgerApprovedTopic;
  requireScope: RequireScope;
  ibanIssuer?: IbanIssuer;
  retryDelaysMs?: readonly number[];
  /**
   * What the bank may have lent out at once per currency (minor units), reserved and disbursed
   * together; a loan in a currency not listed is refused. Default: 10,000,000.00 EUR.
   */
  lendingCapacityMinor?: ReadonlyMap<string, bigint>;
}

/** The default lending capacity: 10 million euros. */
export const defaultLendingCapacityMinor: ReadonlyMap<string, bigint> = new Map([['EUR', 1_000_000_000n]]);

/**
 * The ledger's own backoff, longer than the backbone's default: what fails here is nearly always
 * transient (a database restart or failover), and a payment dead-lettered at the ledger needs an
 * operator. So it rides out about
 * twelve minutes first; the partition waits, which the ledger's per-account order requires anyway.
 */
export const ledgerRetryDelaysMs: readonly number[] = [200, 1_000, 5_000, 30_000, 120_000, 600_000];

/** Core banking: accounts, a double-entry ledger, holds; reserves, posts and releases payment funds. */
export function createLedgerService(deps: ServiceDeps & Pick<SagaPorts, 'commandChannel'>, options: LedgerServiceOptions): PaymentService {
  const approvedTopic = options.approvedTopic ?? PaymentTopics.validated;
  const retry = { mode: 'blocking', delaysMs: options.retryDelaysMs ?? ledgerRetryDelaysMs } as const;
  // The loan approval's ledger commands, over the configured command channel: blocking retries
  // (on the bus) and the per-key order (either channel) keep a loan's reserve before its release.
  const loanCommands = commandParticipant(
    deps.commandChannel,
    'ledger-loans',
    [LoanTopics.ledgerCommands],
    ledgerLoanParticipant({ lendingCapacityMinor: options.lendingCapacityMinor ?? defaultLendingCapacityMinor, ids: deps.ids }),
    retry,
  );
  return {
    name: 'ledger',
    migrations: ledgerMigrations,
    consumers: [
      {
        name: 'ledger',
        topics: [approvedTopic, PaymentTopics.rtgsSettled, PaymentTopics.rtgsRejected],
        batchHandler: ledgerHandler({ approvedTopic, ids: deps.ids }),
        retry,
      },
      ...loanCommands.consumers,
    ],
    workers: loanCommands.workers,
    routes: ledgerRoutes({
      db: deps.db,
      ids: deps.ids,
      requireScope: options.requireScope,
      ibanIssuer: options.ibanIssuer ?? defaultIbanIssuer,
    }),
  };
}

export { ledgerMigrations } from './migrations.ts';
export { findAccount, trialBalance } from './ledger-store.ts';
export {
  customerAccounts,
  accountContacts,
  paymentEntries,
  holdRoutes,
  accountHistory,
  type AccountHistory,
  type CustomerAccountView,
  type AccountContact,
  type PaymentEntry,
} from './queries.ts';
export * from './domain/ledger.ts';
export { loanFundingAccount, capacityLeftMinor, type LendingCapacity } from './domain/lending.ts';
export { normalizeIban } from './iban.ts';
