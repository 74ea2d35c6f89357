import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { PaymentService, ServiceDeps, StreamPorts } from '../services/index.ts';
import { createGatewayService, requireScope } from '../services/gateway/index.ts';
import { createValidationService } from '../services/validation/index.ts';
import { accountContacts, createLedgerService } from '../services/ledger/index.ts';
import { createRtgsGatewayService, type RtgsGatewayOptions } from '../services/rtgs/index.ts';
import { createAuditService } from '../services/audit/index.ts';
import { createNotificationsService } from '../services/notifications/index.ts';
import { createComplianceCasesService } from '../services/compliance-cases/index.ts';
import { createFraudService, type FraudRulesConfigInput } from '../services/fraud/index.ts';
import { createReconciliationService } from '../services/reconciliation/index.ts';
import { createLoansService, type LoansServiceOptions } from '../services/loans/index.ts';
import { createAuthorizationService, type AuthorizationServiceOptions, type CoreFeedOptions } from '../services/authorization/index.ts';
import type { ListSource } from '../services/screening/index.ts';
import { createScreeningService, screeningDecisionsTable, type CorridorRuleInput } from '../services/screening/stage/index.ts';
import { PaymentTopics } from '../contracts/topics.ts';
import { defaultScreeningConfig, type PaystreamConfig, type ScreeningConfig } from './config.ts';

/** Knobs tests and benchmarks turn; production runs on the defaults. */
export interface ServiceTuning {
  retryDelaysMs?: readonly number[];
  rtgs?: Partial<
    Pick<RtgsGatewayOptions, 'timeoutMs' | 'statusChaser' | 'circuitBreaker' | 'retryDelaysMs' | 'validateOutgoing' | 'maxBatchRecords'>
  >;
  notifications?: { retryDelaysMs?: readonly number[] };
  /** Screening's consumer retries (default `retryDelaysMs`): their count is how long a payment waits for lists that are not loaded. */
  screening?: { retryDelaysMs?: readonly number[]; listLoadRetryDelayMs?: number };
  /** Fraud rules overrides (e.g. velocity off for tests that send bursts from one account). */
  fraud?: { rules?: FraudRulesConfigInput };
  /** The loan approval's deadlines, scorecard and limits (e.g. short deadlines, a small exposure limit). */
  loans?: Omit<LoansServiceOptions, 'requireScope' | 'screenApplicant' | 'screeningListsWorker'>;
  /** The authorization processor's rules (short grace, small limits), the override route's wait, its timer worker's poll. */
  authorization?: Omit<AuthorizationServiceOptions, 'requireScope'>;
  /** The ledger's lending capacity per currency (minor units). */
  lendingCapacityMinor?: ReadonlyMap<string, bigint>;
}

export const serviceNames = [
  'gateway',
  'validation',
  'screening',
  'ledger',
  'rtgs',
  'notifications',
  'audit',
  'compliance-cases',
  'fraud',
  'reconciliation',
  'loans',
  'authorization',
] as const;

/**
 * Every payment service, wired with its options. The flow's topology lives here: the topic each
 * stage consumes is chosen here, so inserting a stage (compliance) changes this file, not the
 * services around it.
 *
 *   validation → payments.validated.v1 → screening → payments.initiated.v1 → fraud
 *     → payments.cleared.v1 → ledger (reserve) → RTGS | internal → completed
 *
 * Held payments (screening MEDIUM, fraud REVIEW) re-enter this flow when an officer approves the
 * case: the case's stored event is the stage's own output (initiated, resp. cleared).
 */
export function buildServices(deps: ServiceDeps & StreamPorts, config: PaystreamConfig, tuning: ServiceTuning): PaymentService[] {
  const retry = tuning.retryDelaysMs ? { retryDelaysMs: tuning.retryDelaysMs } : {};
  const screening = config.screening ?? defaultScreeningConfig();
  const screeningRetryDelaysMs = tuning.screening?.retryDelaysMs ?? tuning.retryDelaysMs;
  const screeningService = createScreeningService(deps, {
    requireScope,
    inputTopic: PaymentTopics.validated,
    sources: screeningSources(screening),
    extraLists: screening.extraLists as ListSource[],
    corridorRules: screening.corridorRules as Record<string, CorridorRuleInput>,
    travelRule: { thresholds: screening.travelRuleThresholds, defaultThreshold: screening.travelRuleDefaultThreshold },
    listPollIntervalMs: screening.listPollIntervalMs,
    ...(screeningRetryDelaysMs ? { retryDelaysMs: screeningRetryDelaysMs } : {}),
    ...(tuning.screening?.listLoadRetryDelayMs ? { listLoadRetryDelayMs: tuning.screening.listLoadRetryDelayMs } : {}),
  });
  return [
    createGatewayService(deps, { requireScope }),
    createValidationService(deps, { ...retry, outputTopic: PaymentTopics.validated }),
    screeningService,
    createFraudService(deps, { ...retry, inputTopic: PaymentTopics.initiated, ...fraudRules(config, tuning) }),
    createLedgerService(deps, {
      requireScope,
      approvedTopic: PaymentTopics.cleared,
      ...retry,
      ...(tuning.lendingCapacityMinor ? { lendingCapacityMinor: tuning.lendingCapacityMinor } : {}),
    }),
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
      accountContacts,
      ...(tuning.notifications?.retryDelaysMs ? { retryDelaysMs: tuning.notifications.retryDelaysMs } : {}),
      ...(tuning.retryDelaysMs ? { consumerRetryDelaysMs: tuning.retryDelaysMs } : {}),
    }),
    createAuditService(deps, { requireScope, ...retry }),
    createComplianceCasesService(deps, { requireScope }),
    createReconciliationService(deps, {
      requireScope,
      networkUrl: config.rtgs.url ?? 'http://127.0.0.1:4100',
      participantBic: config.bank.bic,
      screeningDecisions: screeningDecisionsTable,
    }),
    // The loan approval screens its applicants with the screening stage's lists (one copy in
    // memory); it runs their loader too, so that a process started with --only loans screens.
    createLoansService(deps, {
      requireScope,
      screenApplicant: (party) => screeningService.lists.screen(party, screeningService.baseOptions, []),
      screeningListsWorker: screeningService.lists.worker(),
      ...retry,
      ...tuning.loans,
    }),
    createAuthorizationService(deps, {
      requireScope,
      ...(config.authorizationCoreFeed ? { coreFeed: readCoreFeed(config.authorizationCoreFeed) } : {}),
      ...tuning.authorization,
    }),
  ];
}

/** The lists every payment is screened against, as the published files. */
function screeningSources(screening: ScreeningConfig): ListSource[] {
  const ofac = screening.ofacDir.replace(/\/$/, '');
  return [
    { kind: 'ofac-sdn-csv', sdnPath: `${ofac}/sdn.csv`, altPath: `${ofac}/alt.csv`, addPath: `${ofac}/add.csv` },
    { kind: 'un-consolidated-xml', path: screening.unFile },
    ...(screening.pepFile ? [{ kind: 'pep-csv', path: screening.pepFile } as const] : []),
  ];
}

/** The fraud rules: the tuning's (tests), else FRAUD_RULES, else the defaults. */
function fraudRules(config: PaystreamConfig, tuning: ServiceTuning): { rules?: FraudRulesConfigInput } {
  const rules = tuning.fraud?.rules ?? (config.fraudRules as FraudRulesConfigInput | undefined);
  return rules ? { rules } : {};
}

/** The simulated core's file (AUTHZ_CORE_FEED): read once at start; a bad file stops the start with its path. */
export function readCoreFeed(path: string): CoreFeedOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`AUTHZ_CORE_FEED ${path}: not a readable JSON file`, { cause: error });
  }
  const feed = parsed as Partial<CoreFeedOptions> | null;
  if (!feed || !Array.isArray(feed.accounts) || !Number.isSafeInteger(feed.delayMs) || feed.delayMs! < 0)
    throw new Error(`AUTHZ_CORE_FEED ${path}: needs "accounts" (an array) and "delayMs" (a whole number of ms ≥ 0)`);
  return feed as CoreFeedOptions;
}
