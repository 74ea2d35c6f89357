import type { ScreeningResult, Party } from '../screening/index.ts';
import type { BackgroundWorker } from '../service.ts';
import type { RequireScope } from '../http/scopes.ts';
import { defaultScorecard, type Scorecard } from './domain/scorecard.ts';
import { defaultExposureLimits, type ExposureLimits } from './domain/exposure.ts';

export interface LoansServiceOptions {
  requireScope: RequireScope;
  /**
   * Screens the applicant against the sanctions and PEP lists (the screening engine's lists, as
   * the screening stage holds them); throws while the lists are not loaded (the command waits).
   */
  screenApplicant: (party: Party) => ScreeningResult;
  /** The worker that loads those lists, run with the loans service too so `--only loans` screens. */
  screeningListsWorker?: BackgroundWorker;
  scorecard?: Partial<Scorecard>;
  exposureLimits?: Partial<ExposureLimits>;
  /** How long an officer has to decide a KYC case, over every send of KYC_CHECK. Default 5 days. */
  kycDecisionDeadlineMs?: number;
  /** A step's first deadline (the ledger's and the scorecard's). Default 10 s. */
  stepTimeoutMs?: number;
  /** A compensation's deadline and its first retry delay. Default 10 s and 2 s. */
  compensationTimeoutMs?: number;
  compensationRetryDelayMs?: number;
  /** Sends of one compensation before the saga is STUCK for an operator. Default 8. */
  compensationMaxAttempts?: number;
  /** Consumer retries (blocking) of the participants and the reply consumer. */
  retryDelaysMs?: readonly number[];
  /** The timer worker's longest pause. Default 1000 ms. */
  timerPollMsMax?: number;
}

export interface ResolvedLoansOptions {
  scorecard: Scorecard;
  exposureLimits: ExposureLimits;
  kycDecisionDeadlineMs: number;
  stepTimeoutMs: number;
  compensationTimeoutMs: number;
  compensationRetryDelayMs: number;
  compensationMaxAttempts: number;
}

const day = 24 * 60 * 60 * 1000;

export function resolveLoansOptions(options: LoansServiceOptions): ResolvedLoansOptions {
  const resolved: ResolvedLoansOptions = {
    scorecard: { ...defaultScorecard, ...options.scorecard },
    exposureLimits: { ...defaultExposureLimits, ...options.exposureLimits },
    kycDecisionDeadlineMs: options.kycDecisionDeadlineMs ?? 5 * day,
    stepTimeoutMs: options.stepTimeoutMs ?? 10_000,
    compensationTimeoutMs: options.compensationTimeoutMs ?? 10_000,
    compensationRetryDelayMs: options.compensationRetryDelayMs ?? 2_000,
    compensationMaxAttempts: options.compensationMaxAttempts ?? 8,
  };
  for (const [name, value] of Object.entries(resolved))
    if (typeof value === 'number' && !(Number.isInteger(value) && value > 0))
      throw new RangeError(`loans option ${name} must be a positive integer`);
  if (resolved.scorecard.cutOffPoints < 0 || resolved.scorecard.maxDebtToIncomeBasisPoints <= 0)
    throw new RangeError('the scorecard needs a cut-off of 0 or more and a positive maximum debt-to-income');
  if (resolved.exposureLimits.maxCustomerExposureMinor <= 0n || resolved.exposureLimits.maxTotalExposureMinor <= 0n)
    throw new RangeError('the exposure limits must be positive');
  return resolved;
}
