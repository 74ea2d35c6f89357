/**
 * Screening options, with their defaults in one place and validated once, when built.
 */
import { ScreeningError, ScreeningErrorCodes } from '../errors.ts';
import { emptyAllowList, type AllowList } from './allow-list.ts';

export interface ScreeningThresholds {
  /** A score at or above this is HIGH. */
  high: number;
  /** At or above this (and below `high`) is MEDIUM: a person must look before the payment goes on. */
  medium: number;
  /** Matches at or above this are returned as evidence, even when LOW. */
  report: number;
}

/** Score changes from facts other than the name, where both the party and the list have them. */
export interface ScreeningAdjustments {
  /** Same full date of birth. */
  birthDateExact: number;
  /** Birth year within the listed year or range (± 1 year when the list says "circa"). */
  birthYear: number;
  /** The list gives dates of birth and none is near the party's: subtracted. */
  birthDateMismatch: number;
  /** The party's country is one of the entry's nationalities, citizenships or address countries. */
  countryMatch: number;
  /** The entry has countries and the party's is not among them: subtracted. */
  countryMismatch: number;
  /** Factor on the name score of a weak alias (UN "Low" quality) or an original-script name. */
  weakNameFactor: number;
}

export interface ScreeningOptions {
  thresholds: ScreeningThresholds;
  adjustments: ScreeningAdjustments;
  allowList: AllowList;
  /** At most this many matches per result (best first). */
  maxMatches: number;
}

export const defaultThresholds: ScreeningThresholds = { high: 0.93, medium: 0.86, report: 0.75 };

export const defaultAdjustments: ScreeningAdjustments = {
  birthDateExact: 0.05,
  birthYear: 0.02,
  birthDateMismatch: 0.1,
  countryMatch: 0.03,
  countryMismatch: 0.05,
  weakNameFactor: 0.95,
};

export interface ScreeningOptionsInput {
  thresholds?: Partial<ScreeningThresholds>;
  adjustments?: Partial<ScreeningAdjustments>;
  allowList?: AllowList;
  maxMatches?: number;
}

export function screeningOptions(input: ScreeningOptionsInput = {}): ScreeningOptions {
  const thresholds = { ...defaultThresholds, ...input.thresholds };
  const adjustments = { ...defaultAdjustments, ...input.adjustments };
  const problems: string[] = [];
  if (!(thresholds.report <= thresholds.medium && thresholds.medium <= thresholds.high))
    problems.push('thresholds must satisfy report ≤ medium ≤ high');
  for (const [name, value] of Object.entries(thresholds))
    if (!(value >= 0 && value <= 1)) problems.push(`thresholds.${name} must be within 0–1`);
  for (const [name, value] of Object.entries(adjustments))
    if (!(value >= 0 && value <= 1)) problems.push(`adjustments.${name} must be within 0–1`);
  const maxMatches = input.maxMatches ?? 10;
  if (!Number.isInteger(maxMatches) || maxMatches < 1) problems.push('maxMatches must be a positive integer');
  if (problems.length > 0)
    throw new ScreeningError(ScreeningErrorCodes.INVALID_OPTIONS, `invalid screening options: ${problems.join('; ')}`);
  return Object.freeze({
    thresholds: Object.freeze(thresholds),
    adjustments: Object.freeze(adjustments),
    allowList: input.allowList ?? emptyAllowList,
    maxMatches,
  });
}

export const defaultScreeningOptions: ScreeningOptions = screeningOptions();
