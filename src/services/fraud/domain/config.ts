import { BackboneError, ErrorCodes } from '../../../backbone/errors.ts';

/**
 * The fraud rules' configuration: every rule's weight (the points it adds when it triggers) next to
 * its parameters, and the score at which a payment is held for review. Defaults are in one place
 * (`defaultFraudRulesConfig`); `resolveFraudRulesConfig` merges overrides section by section and
 * validates, so a bad value stops the service at construction, never in the middle of a batch.
 *
 * A rule's id (the key of its section) is the `rule` of the `ScoreReason` it produces, so what an
 * operator tunes and what an officer reads in a case carry the same name.
 */
export interface FraudRulesConfig {
  /** A payment scoring at or above this (1–100) is held for review. */
  reviewThreshold: number;
  /**
   * A burst far above the account's own usual rate: more payments within `windowMs` (this one
   * included, held ones too) than `baselineMultiple` × the account's baseline, and more than
   * `minPayments` in any case. The baseline is the largest number of cleared payments the account
   * made in one window (windows of `windowMs` aligned to the epoch) on the `baselineDays` UTC days
   * before today. See docs/fraud.md.
   */
  velocityCount: RuleWeight & { windowMs: number; minPayments: number; baselineMultiple: number; baselineDays: number };
  /**
   * The account's payments within `windowMs`, this one included, sum to more than the limit of
   * their currency. A currency without a limit is not checked (replace the whole map to change it).
   */
  velocityAmount: RuleWeight & { windowMs: number; maxAmountMinorByCurrency: Readonly<Record<string, bigint>> };
  /**
   * The amount is more than `multiple` × the median of the account's last `historySize` cleared
   * payments (those of them in the payment's currency), once there are at least `minHistory`.
   */
  amountVsHistory: RuleWeight & { multiple: number; minHistory: number; historySize: number };
  /** No earlier cleared payment from this account to the creditor account (the last `maxKnown` remembered). */
  newBeneficiary: RuleWeight & { maxKnown: number };
  /**
   * The corridor (`<debtor ISO3>-<creditor ISO3>`, on the event) is listed, or either of its
   * countries is. Lists are data for the bank's risk policy to set; the logic knows no country.
   */
  highRiskCorridor: RuleWeight & { corridors: readonly string[]; countries: readonly string[] };
  /**
   * Sent within [fromHourUtc, toHourUtc) UTC, by the event's `occurredAt`; wraps midnight when
   * `fromHourUtc > toHourUtc` (22 → 5 is 22:00–04:59).
   */
  unusualHour: RuleWeight & { fromHourUtc: number; toHourUtc: number };
  /**
   * Hard cap on the payments remembered per account (those inside the largest velocity window plus
   * the amount history). A busier account's oldest in-window payments are forgotten, so its
   * velocity sums undercount; see docs/fraud.md.
   */
  maxTrackedPayments: number;
}

export interface RuleWeight {
  /** Points (0–100) the rule adds when it triggers; 0 switches the rule off. */
  weight: number;
}

export const fraudRuleIds = [
  'velocityCount',
  'velocityAmount',
  'amountVsHistory',
  'newBeneficiary',
  'highRiskCorridor',
  'unusualHour',
] as const;
export type FraudRuleId = (typeof fraudRuleIds)[number];

/** Overrides: each rule's section is merged over its default; maps and lists inside replace the default whole. */
export type FraudRulesConfigInput = { reviewThreshold?: number; maxTrackedPayments?: number } & {
  [Rule in FraudRuleId]?: Partial<FraudRulesConfig[Rule]>;
};

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;

export const defaultFraudRulesConfig: FraudRulesConfig = {
  reviewThreshold: 60,
  // A burst far above the account's own habit is enough for review: it is what account takeover
  // and authorised-push-payment scams look like. Twenty in ten minutes pass on any account (a new
  // account's first payments, a small firm's supplier run); beyond that, three times the busiest
  // ten minutes of the 35 days before today (so a monthly payroll is judged against last month's).
  velocityCount: { weight: 60, windowMs: 10 * minuteMs, minPayments: 20, baselineMultiple: 3, baselineDays: 35 },
  velocityAmount: {
    weight: 40,
    windowMs: 24 * hourMs,
    maxAmountMinorByCurrency: { EUR: 1_000_000n, USD: 1_000_000n, GBP: 1_000_000n, CHF: 1_000_000n },
  },
  amountVsHistory: { weight: 40, multiple: 5, minHistory: 5, historySize: 50 },
  newBeneficiary: { weight: 20, maxKnown: 500 },
  // An example, not a policy: FATF's "call for action" jurisdictions (DPRK, Iran, Myanmar). The
  // bank's risk function owns this list and must keep it current.
  highRiskCorridor: { weight: 30, corridors: [], countries: ['PRK', 'IRN', 'MMR'] },
  unusualHour: { weight: 10, fromHourUtc: 0, toHourUtc: 5 },
  maxTrackedPayments: 500,
};

/** Applies the defaults and validates; throws `BackboneError(INVALID_OPTIONS)` naming the field. */
export function resolveFraudRulesConfig(input: FraudRulesConfigInput = {}): FraudRulesConfig {
  const base = defaultFraudRulesConfig;
  const config: FraudRulesConfig = {
    reviewThreshold: input.reviewThreshold ?? base.reviewThreshold,
    velocityCount: { ...base.velocityCount, ...input.velocityCount },
    velocityAmount: { ...base.velocityAmount, ...input.velocityAmount },
    amountVsHistory: { ...base.amountVsHistory, ...input.amountVsHistory },
    newBeneficiary: { ...base.newBeneficiary, ...input.newBeneficiary },
    highRiskCorridor: { ...base.highRiskCorridor, ...input.highRiskCorridor },
    unusualHour: { ...base.unusualHour, ...input.unusualHour },
    maxTrackedPayments: input.maxTrackedPayments ?? base.maxTrackedPayments,
  };
  integerIn('reviewThreshold', config.reviewThreshold, 1, 100);
  for (const rule of fraudRuleIds) integerIn(`${rule}.weight`, config[rule].weight, 0, 100);
  positiveInteger('velocityCount.windowMs', config.velocityCount.windowMs);
  check(
    !Object.hasOwn(input.velocityCount ?? {}, 'maxPayments'),
    "velocityCount.maxPayments was replaced by minPayments and baselineMultiple (the rule now judges a burst against the account's own history)",
  );
  positiveInteger('velocityCount.minPayments', config.velocityCount.minPayments);
  check(
    Number.isFinite(config.velocityCount.baselineMultiple) && config.velocityCount.baselineMultiple >= 1,
    'velocityCount.baselineMultiple must be a number ≥ 1',
  );
  integerIn('velocityCount.baselineDays', config.velocityCount.baselineDays, 1, 400);
  positiveInteger('velocityAmount.windowMs', config.velocityAmount.windowMs);
  for (const [currency, limit] of Object.entries(config.velocityAmount.maxAmountMinorByCurrency)) {
    check(/^[A-Z]{3}$/.test(currency), `velocityAmount.maxAmountMinorByCurrency: ${currency} is not an ISO 4217 code`);
    check(
      typeof limit === 'bigint' && limit > 0n,
      `velocityAmount.maxAmountMinorByCurrency.${currency} must be a positive bigint (minor units)`,
    );
  }
  const { multiple, minHistory, historySize } = config.amountVsHistory;
  check(
    Number.isFinite(multiple) && multiple >= 1 && Math.abs(multiple * 100 - Math.round(multiple * 100)) < 1e-6,
    'amountVsHistory.multiple must be a number ≥ 1 with at most two decimals',
  );
  positiveInteger('amountVsHistory.historySize', historySize);
  positiveInteger('amountVsHistory.minHistory', minHistory);
  check(minHistory <= historySize, 'amountVsHistory.minHistory must not exceed amountVsHistory.historySize');
  positiveInteger('newBeneficiary.maxKnown', config.newBeneficiary.maxKnown);
  for (const corridor of config.highRiskCorridor.corridors)
    check(/^[A-Z]{3}-[A-Z]{3}$/.test(corridor), `highRiskCorridor.corridors: ${corridor} is not <ISO3>-<ISO3>`);
  for (const country of config.highRiskCorridor.countries)
    check(/^[A-Z]{3}$/.test(country), `highRiskCorridor.countries: ${country} is not an ISO 3166-1 alpha-3 code`);
  integerIn('unusualHour.fromHourUtc', config.unusualHour.fromHourUtc, 0, 23);
  integerIn('unusualHour.toHourUtc', config.unusualHour.toHourUtc, 0, 23);
  check(
    config.unusualHour.fromHourUtc !== config.unusualHour.toHourUtc,
    'unusualHour: fromHourUtc and toHourUtc must differ (set its weight to 0 to switch the rule off)',
  );
  positiveInteger('maxTrackedPayments', config.maxTrackedPayments);
  check(config.maxTrackedPayments >= historySize, 'maxTrackedPayments must be at least amountVsHistory.historySize');
  return config;
}

/** The multiple in hundredths (5 → 500n, 2.5 → 250n), so the rule compares in bigint. */
export function multipleHundredths(config: FraudRulesConfig): bigint {
  return BigInt(Math.round(config.amountVsHistory.multiple * 100));
}

function positiveInteger(name: string, value: number): void {
  check(Number.isInteger(value) && value > 0, `${name} must be a positive integer`);
}

function integerIn(name: string, value: number, min: number, max: number): void {
  check(Number.isInteger(value) && value >= min && value <= max, `${name} must be an integer from ${min} to ${max}`);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `fraud rules: ${message}`);
}
