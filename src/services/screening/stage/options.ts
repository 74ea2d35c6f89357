/**
 * The screening stage's options: defaults in one place, validated once at construction
 * (`SCREENING_INVALID_OPTIONS` naming the field), so a bad corridor rule or threshold stops the
 * service at start, never in the middle of a batch.
 */
import { defaultRetryDelaysMs } from '../../../backbone/topics/failure-topics.ts';
import { minorUnitsOf, parseDecimal } from '../../../contracts/money.ts';
import { PaymentTopics } from '../../../contracts/topics.ts';
import type { PaymentValidated } from '../../../contracts/events.ts';
import type { TopicsCarrying } from '../../../contracts/topic-payloads.ts';
import { ScreeningError, ScreeningErrorCodes } from '../errors.ts';
import { screeningOptions, type ScreeningOptions, type ScreeningOptionsInput, type ScreeningThresholds } from '../engine/options.ts';
import { listIdOf, type ListSource } from '../lists/source.ts';

export interface ScreeningStageOptions {
  /** The lists every payment is screened against (OFAC SDN, UN, PEP). At least one. */
  sources: readonly ListSource[];
  /** Lists used only by the corridors whose rule names them (`CorridorRuleInput.extraLists`). */
  extraLists?: readonly ListSource[];
  /** Thresholds, adjustments, allow list: the engine's options for every corridor. */
  screening?: ScreeningOptionsInput;
  /** Per corridor code (`ZWE-ZAF`): stricter thresholds and extra lists. */
  corridorRules?: Readonly<Record<string, CorridorRuleInput>>;
  travelRule?: {
    /** Decimal amounts per currency, merged over `defaultTravelRuleThresholds`. */
    thresholds?: Readonly<Record<string, string>>;
    /** For other currencies, in the payment's currency. Default `1000`. */
    defaultThreshold?: string;
  };
  /** Default `payments.validated.v1`; a topic whose events carry the payment order. */
  inputTopic?: ScreeningInputTopic;
  /** The consumer's blocking retries. The last attempt fails the payment if the lists are still not loaded. */
  retryDelaysMs?: readonly number[];
  /** How often the list files are checked for a change. Default 30 s. */
  listPollIntervalMs?: number;
  /** After a failed first load, the next attempt waits this long. Default 30 s. */
  listLoadRetryDelayMs?: number;
}

export interface CorridorRuleInput {
  /** May only lower `high`, `medium` and `report`: a corridor rule can make screening stricter, never looser. */
  thresholds?: Partial<ScreeningThresholds>;
  /** Ids of `extraLists` also screened against in this corridor. */
  extraLists?: readonly string[];
}

export interface CorridorRule {
  options: ScreeningOptions;
  extraListIds: readonly string[];
}

/** A topic the screening stage may read: one whose events carry the payment order. */
export type ScreeningInputTopic = TopicsCarrying<PaymentValidated>;

export interface ResolvedScreeningStageOptions {
  sources: readonly ListSource[];
  extraLists: readonly ListSource[];
  base: CorridorRule;
  /** The rule of a corridor: its own, or the base. */
  ruleFor(corridorCode: string): CorridorRule;
  /** The Travel Rule threshold of a currency, minor units. */
  travelRuleThresholdMinor(currency: string): bigint;
  inputTopic: ScreeningInputTopic;
  retryDelaysMs: readonly number[];
  listPollIntervalMs: number;
  listLoadRetryDelayMs: number;
}

/** FATF Recommendation 16 as the main jurisdictions apply it: USD 3,000 (US), EUR 1,000 (EU), SGD 1,500 (MAS). */
export const defaultTravelRuleThresholds: Readonly<Record<string, string>> = Object.freeze({
  USD: '3000.00',
  EUR: '1000.00',
  SGD: '1500.00',
});

export function resolveScreeningStageOptions(options: ScreeningStageOptions): ResolvedScreeningStageOptions {
  if (options.sources.length === 0) invalid('sources: at least one list is required');
  const base: CorridorRule = { options: screeningOptions(options.screening), extraListIds: [] };
  const extraLists = options.extraLists ?? [];
  for (const [index, source] of extraLists.entries()) checkSource(source, `extraLists[${index}]`);
  const baseIds = new Set(options.sources.map(listIdOf));
  for (const source of extraLists) if (baseIds.has(listIdOf(source))) invalid(`extraLists: ${listIdOf(source)} is already a base list`);
  const extraIds = new Set(extraLists.map(listIdOf));

  const corridors = new Map<string, CorridorRule>();
  for (const [code, rule] of Object.entries(options.corridorRules ?? {})) {
    if (!/^[A-Z]{3}-[A-Z]{3}$/.test(code)) invalid(`corridorRules: "${code}" is not a corridor code like ZWE-ZAF`);
    const thresholds = { ...base.options.thresholds, ...rule.thresholds };
    for (const name of ['high', 'medium', 'report'] as const) {
      if (thresholds[name] > base.options.thresholds[name])
        invalid(`corridorRules.${code}.thresholds.${name}: ${thresholds[name]} is looser than the base ${base.options.thresholds[name]}`);
    }
    for (const listId of rule.extraLists ?? [])
      if (!extraIds.has(listId)) invalid(`corridorRules.${code}.extraLists: no extra list "${listId}"`);
    corridors.set(code, { options: screeningOptions({ ...options.screening, thresholds }), extraListIds: [...(rule.extraLists ?? [])] });
  }

  const thresholds = new Map<string, bigint>();
  for (const [currency, text] of Object.entries({ ...defaultTravelRuleThresholds, ...options.travelRule?.thresholds })) {
    const parsed = parseDecimal(text, currency, { positive: true });
    if (!parsed.ok) invalid(`travelRule.thresholds.${currency}: "${text}" is not a positive amount in ${currency} (${parsed.failure})`);
    thresholds.set(currency, parsed.amountMinor);
  }
  const defaultThreshold = options.travelRule?.defaultThreshold ?? '1000';
  if (!/^\d{1,15}(\.\d+)?$/.test(defaultThreshold) || Number(defaultThreshold) <= 0)
    invalid(`travelRule.defaultThreshold: "${defaultThreshold}" is not a positive decimal`);

  const retryDelaysMs = options.retryDelaysMs ?? defaultRetryDelaysMs;
  const listPollIntervalMs = options.listPollIntervalMs ?? 30_000;
  const listLoadRetryDelayMs = options.listLoadRetryDelayMs ?? 30_000;
  if (!(listPollIntervalMs > 0) || !(listLoadRetryDelayMs > 0)) invalid('listPollIntervalMs and listLoadRetryDelayMs must be positive');
  const inputTopic = options.inputTopic ?? PaymentTopics.validated;
  if (inputTopic.length === 0) invalid('inputTopic must not be empty');

  return {
    sources: options.sources,
    extraLists,
    base,
    ruleFor: (code) => corridors.get(code) ?? base,
    travelRuleThresholdMinor: (currency) => thresholds.get(currency) ?? majorToMinor(defaultThreshold, currency),
    inputTopic,
    retryDelaysMs,
    listPollIntervalMs,
    listLoadRetryDelayMs,
  };
}

/** `1000.50` in a currency with `digits` decimals; extra decimals are cut (a lower threshold is the strict side). */
function majorToMinor(text: string, currency: string): bigint {
  const digits = minorUnitsOf(currency) ?? 2;
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole!) * 10n ** BigInt(digits) + BigInt(fraction.slice(0, digits).padEnd(digits, '0') || '0');
}

/** Extra lists come from configuration (JSON), so their shape is checked here rather than trusted. */
function checkSource(source: ListSource, field: string): void {
  const text = (value: unknown) => typeof value === 'string' && value.length > 0;
  const record = source as Partial<Record<string, unknown>>;
  if (record.listId !== undefined && !text(record.listId)) invalid(`${field}.listId must be a non-empty string`);
  if (source.kind === 'ofac-sdn-csv') {
    if (!text(record.sdnPath)) invalid(`${field}.sdnPath is required for kind ofac-sdn-csv`);
  } else if (source.kind === 'un-consolidated-xml' || source.kind === 'pep-csv') {
    if (!text(record.path)) invalid(`${field}.path is required for kind ${source.kind}`);
  } else {
    invalid(`${field}.kind must be ofac-sdn-csv, un-consolidated-xml or pep-csv`);
  }
}

function invalid(problem: string): never {
  throw new ScreeningError(ScreeningErrorCodes.INVALID_OPTIONS, `screening stage: ${problem}`);
}
