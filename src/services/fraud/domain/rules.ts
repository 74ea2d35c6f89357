import { createHash } from 'node:crypto';
import type { PaymentOrder } from '../../../contracts/payment.ts';
import type { ScoreReason } from '../../../contracts/events.ts';
import { formatDecimal } from '../../../contracts/money.ts';
import { fraudRuleIds, multipleHundredths, type FraudRuleId, type FraudRulesConfig } from './config.ts';

/**
 * Fraud scoring as pure functions, decide/evolve style: `scorePayment` reads an account's risk
 * state and a payment and says how risky it is and why; `evolve` folds the scored payment into the
 * state. The handler loads the state under a row lock, calls both, and writes the result in the
 * batch's transaction. Time is an input (`nowMs`, the event's `occurredAt`), never the wall clock,
 * so replaying the same events scores them the same.
 *
 * Learning: every scored payment counts for velocity (a burst of attempts is the signal, whether or
 * not they were held), but only cleared payments teach the account what is normal (its amount
 * history and its known beneficiaries), so a held payment cannot make the next one look ordinary.
 */
export interface AccountRiskState {
  /** Scored payments, oldest first, bounded by `evolve`: the largest velocity window plus the amount history. */
  recentPayments: readonly RecentPayment[];
  /** `beneficiaryKey`s of creditor accounts paid with a cleared payment, least recently paid first. */
  knownBeneficiaries: readonly string[];
  /** The account's usual rate, the velocity rule's baseline: its cleared payments per window. */
  velocityHistory: VelocityHistory;
}

/**
 * Cleared payments counted per window (`velocityCount.windowMs`, aligned to the epoch), kept small:
 * the windows that may still overlap a current sliding window are kept as they are; older ones are
 * folded into the peak of the UTC day they started in, and days more than `baselineDays` before
 * today are forgotten. At most a few windows and `baselineDays` + 1 days, however busy the account.
 */
export interface VelocityHistory {
  /** Oldest first. */
  recentWindows: readonly { startMs: number; count: number }[];
  /** Oldest first: the largest count of a folded window that started that day. */
  dailyPeaks: readonly { dayStartMs: number; peak: number }[];
}

export interface RecentPayment {
  paymentId: string;
  /** When it was scored: its event's `occurredAt`. */
  atMs: number;
  amountMinor: bigint;
  currency: string;
  decision: FraudDecision;
}

export type FraudDecision = 'PASS' | 'REVIEW';

export interface ScoringContext {
  /** The scoring time: the event's `occurredAt`, so a replay scores the same. */
  nowMs: number;
  /** `<debtor ISO3>-<creditor ISO3>`, as screening put it on the event. */
  corridorCode: string;
  config: FraudRulesConfig;
}

export interface PaymentScore {
  /** 0–100: the sum of the reasons' points, capped at 100. */
  score: number;
  /** The rules that triggered, in a fixed order, each with its points and a sentence an officer can read. */
  reasons: ScoreReason[];
  /** REVIEW when the score is at or above the review threshold. */
  decision: FraudDecision;
}

/** A payment as `evolve` records it: what was scored, when, and the decision. */
export interface ScoredPayment {
  payment: PaymentOrder;
  atMs: number;
  decision: FraudDecision;
}

export const emptyVelocityHistory: VelocityHistory = { recentWindows: [], dailyPeaks: [] };

export const emptyAccountRiskState: AccountRiskState = {
  recentPayments: [],
  knownBeneficiaries: [],
  velocityHistory: emptyVelocityHistory,
};

export function scorePayment(state: AccountRiskState, payment: PaymentOrder, context: ScoringContext): PaymentScore {
  const reasons: ScoreReason[] = [];
  for (const rule of fraudRuleIds) {
    const points = context.config[rule].weight;
    if (points === 0) continue;
    const detail = rules[rule](state, payment, context);
    if (detail !== undefined) reasons.push({ rule, points, detail });
  }
  const score = Math.min(
    100,
    reasons.reduce((sum, reason) => sum + reason.points, 0),
  );
  return { score, reasons, decision: score >= context.config.reviewThreshold ? 'REVIEW' : 'PASS' };
}

/**
 * The state after `scored`. Idempotent: a payment already recorded changes nothing. What is kept:
 * every payment inside the largest velocity window, and the last `historySize` cleared payments,
 * at most `maxTrackedPayments` in all (the oldest go first); at most `maxKnown` beneficiaries, the
 * least recently paid forgotten first.
 */
export function evolve(state: AccountRiskState, scored: ScoredPayment, config: FraudRulesConfig): AccountRiskState {
  const { payment, atMs, decision } = scored;
  if (state.recentPayments.some((recent) => recent.paymentId === payment.paymentId)) return state;
  const recentPayments = retain(
    [
      ...state.recentPayments,
      { paymentId: payment.paymentId, atMs, amountMinor: payment.amountMinor, currency: payment.currency, decision },
    ],
    atMs,
    config,
  );
  const knownBeneficiaries =
    decision === 'PASS'
      ? remember(state.knownBeneficiaries, beneficiaryKey(payment.creditor.account), config.newBeneficiary.maxKnown)
      : state.knownBeneficiaries;
  const velocityHistory = countInWindow(state.velocityHistory, atMs, decision, config);
  return { recentPayments, knownBeneficiaries, velocityHistory };
}

/**
 * How a creditor account is remembered: a SHA-256 prefix of the account, spaces removed and upper
 * case. It keeps the set fixed-size per entry and keeps account numbers out of one more table; it
 * is not anonymisation (account numbers can be enumerated).
 */
export function beneficiaryKey(creditorAccount: string): string {
  return createHash('sha256').update(creditorAccount.replace(/\s+/g, '').toUpperCase()).digest('hex').slice(0, 32);
}

type Rule = (state: AccountRiskState, payment: PaymentOrder, context: ScoringContext) => string | undefined;

const rules: Record<FraudRuleId, Rule> = {
  velocityCount(state, payment, { nowMs, config }) {
    const { windowMs, minPayments, baselineMultiple, baselineDays } = config.velocityCount;
    const count = paymentsWithin(state, payment, nowMs, windowMs).length + 1;
    if (count <= minPayments) return undefined;
    const baseline = velocityBaseline(state.velocityHistory, nowMs, config);
    const limit = Math.max(minPayments, Math.floor(baselineMultiple * baseline));
    if (count <= limit) return undefined;
    const usual = `${baseline === 0 ? 'no' : `at most ${baseline}`} cleared payments in any ${formatDuration(windowMs)} of the ${baselineDays} days before today`;
    return `${count} payments in ${formatDuration(windowMs)}, this one included; this account made ${usual} (review above ${limit}: ${baselineMultiple}× that, and never at ${minPayments} or fewer)`;
  },

  velocityAmount(state, payment, { nowMs, config }) {
    const { windowMs, maxAmountMinorByCurrency } = config.velocityAmount;
    const limit = Object.hasOwn(maxAmountMinorByCurrency, payment.currency) ? maxAmountMinorByCurrency[payment.currency] : undefined;
    if (limit === undefined) return undefined;
    const sameCurrency = paymentsWithin(state, payment, nowMs, windowMs).filter((recent) => recent.currency === payment.currency);
    const total = sameCurrency.reduce((sum, recent) => sum + recent.amountMinor, payment.amountMinor);
    if (total <= limit) return undefined;
    return `${money(total, payment.currency)} sent in ${formatDuration(windowMs)} in ${sameCurrency.length + 1} payments, this one included; the limit is ${money(limit, payment.currency)}`;
  },

  amountVsHistory(state, payment, { config }) {
    const { minHistory, historySize } = config.amountVsHistory;
    const history = lastCleared(state.recentPayments, historySize).filter((recent) => recent.currency === payment.currency);
    if (history.length < minHistory) return undefined;
    const medianTwice = twiceTheMedian(history.map((recent) => recent.amountMinor));
    if (medianTwice <= 0n) return undefined;
    // amount > multiple × median, in integers: 200 × amount > multiple in hundredths × 2 × median.
    if (200n * payment.amountMinor <= multipleHundredths(config) * medianTwice) return undefined;
    const ratioTenths = (20n * payment.amountMinor) / medianTwice;
    return `${money(payment.amountMinor, payment.currency)} is ${ratioTenths / 10n}.${ratioTenths % 10n}× the median ${money(medianTwice / 2n, payment.currency)} of this account's last ${history.length} cleared ${payment.currency} payments (review above ${config.amountVsHistory.multiple}×)`;
  },

  newBeneficiary(state, payment) {
    if (state.knownBeneficiaries.includes(beneficiaryKey(payment.creditor.account))) return undefined;
    return `no earlier cleared payment from this account to creditor account ending ${payment.creditor.account.replace(/\s+/g, '').slice(-4)}`;
  },

  highRiskCorridor(_state, _payment, { corridorCode, config }) {
    const { corridors, countries } = config.highRiskCorridor;
    if (corridors.includes(corridorCode)) return `corridor ${corridorCode} is on the high-risk corridor list`;
    const listed = [...new Set(corridorCode.split('-'))].filter((country) => countries.includes(country));
    if (listed.length === 0) return undefined;
    return `corridor ${corridorCode}: ${listed.join(' and ')} ${listed.length === 1 ? 'is' : 'are'} on the high-risk country list`;
  },

  unusualHour(_state, _payment, { nowMs, config }) {
    const { fromHourUtc, toHourUtc } = config.unusualHour;
    const at = new Date(nowMs);
    const hour = at.getUTCHours();
    const inside = fromHourUtc < toHourUtc ? hour >= fromHourUtc && hour < toHourUtc : hour >= fromHourUtc || hour < toHourUtc;
    if (!inside) return undefined;
    return `sent at ${twoDigits(hour)}:${twoDigits(at.getUTCMinutes())} UTC, within the unusual hours ${twoDigits(fromHourUtc)}:00–${twoDigits(toHourUtc)}:00 UTC`;
  },
};

/**
 * The account's usual rate: the largest count of cleared payments in one window on any of the
 * `baselineDays` UTC days before today. Today's windows never count, so a burst, or a ramp of
 * bursts, cannot raise its own baseline within a day.
 */
export function velocityBaseline(history: VelocityHistory, nowMs: number, config: FraudRulesConfig): number {
  const todayStartMs = Math.floor(nowMs / dayMs) * dayMs;
  const sinceMs = todayStartMs - config.velocityCount.baselineDays * dayMs;
  const { windowMs } = config.velocityCount;
  let baseline = 0;
  for (const day of history.dailyPeaks)
    if (day.dayStartMs >= sinceMs && day.dayStartMs < todayStartMs) baseline = Math.max(baseline, day.peak);
  // Earlier days' windows not folded yet (no payment since), unless they overlap the current window.
  for (const window of history.recentWindows)
    if (window.startMs >= sinceMs && window.startMs < todayStartMs && window.startMs + windowMs <= nowMs - windowMs)
      baseline = Math.max(baseline, window.count);
  return baseline;
}

/**
 * Counts a cleared payment in its window, folds the windows no current window can overlap any more
 * into their day's peak, and forgets days older than `baselineDays`. A held payment counts nothing
 * (it must not make the next burst look usual) but still moves time on.
 */
function countInWindow(history: VelocityHistory, atMs: number, decision: FraudDecision, config: FraudRulesConfig): VelocityHistory {
  const { windowMs, baselineDays } = config.velocityCount;
  const windows = history.recentWindows.map((window) => ({ ...window }));
  if (decision === 'PASS') {
    const startMs = Math.floor(atMs / windowMs) * windowMs;
    const window = windows.find((candidate) => candidate.startMs === startMs);
    if (window) window.count += 1;
    else windows.push({ startMs, count: 1 });
    windows.sort((a, b) => a.startMs - b.startMs);
  }
  const peaks = new Map(history.dailyPeaks.map((day) => [day.dayStartMs, day.peak]));
  const kept = windows.filter((window) => {
    if (window.startMs + windowMs > atMs - windowMs) return true;
    const dayStartMs = Math.floor(window.startMs / dayMs) * dayMs;
    peaks.set(dayStartMs, Math.max(peaks.get(dayStartMs) ?? 0, window.count));
    return false;
  });
  const oldestKeptMs = Math.floor(atMs / dayMs) * dayMs - baselineDays * dayMs;
  const dailyPeaks = [...peaks]
    .filter(([dayStartMs]) => dayStartMs >= oldestKeptMs)
    .sort(([a], [b]) => a - b)
    .map(([dayStartMs, peak]) => ({ dayStartMs, peak }));
  return { recentWindows: kept, dailyPeaks };
}

const dayMs = 24 * 60 * 60 * 1_000;

/** The account's other payments scored within `windowMs` before `nowMs`. */
function paymentsWithin(state: AccountRiskState, payment: PaymentOrder, nowMs: number, windowMs: number): RecentPayment[] {
  return state.recentPayments.filter((recent) => recent.paymentId !== payment.paymentId && recent.atMs > nowMs - windowMs);
}

/** The last `count` cleared payments, oldest first. */
function lastCleared(recentPayments: readonly RecentPayment[], count: number): RecentPayment[] {
  const cleared: RecentPayment[] = [];
  for (let i = recentPayments.length - 1; i >= 0 && cleared.length < count; i--)
    if (recentPayments[i]!.decision === 'PASS') cleared.push(recentPayments[i]!);
  return cleared.reverse();
}

/** Twice the median, so an even count's median (the mean of the middle two) stays an integer. */
function twiceTheMedian(amounts: readonly bigint[]): bigint {
  const sorted = [...amounts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? 2n * sorted[middle]! : sorted[middle - 1]! + sorted[middle]!;
}

function retain(recentPayments: readonly RecentPayment[], nowMs: number, config: FraudRulesConfig): RecentPayment[] {
  const horizonMs = nowMs - Math.max(config.velocityCount.windowMs, config.velocityAmount.windowMs);
  const history = new Set(lastCleared(recentPayments, config.amountVsHistory.historySize));
  const kept = recentPayments.filter((recent) => recent.atMs > horizonMs || history.has(recent));
  return kept.slice(Math.max(0, kept.length - config.maxTrackedPayments));
}

/** Adds (or moves) `key` to the most recent end, forgetting the least recently paid beyond `max`. */
function remember(known: readonly string[], key: string, max: number): string[] {
  const next = [...known.filter((existing) => existing !== key), key];
  return next.slice(Math.max(0, next.length - max));
}

function money(amountMinor: bigint, currency: string): string {
  try {
    return `${currency} ${formatDecimal(amountMinor, currency)}`;
  } catch {
    return `${amountMinor} minor units of ${currency}`;
  }
}

function formatDuration(durationMs: number): string {
  if (durationMs % 3_600_000 === 0) return `${durationMs / 3_600_000} h`;
  if (durationMs % 60_000 === 0) return `${durationMs / 60_000} min`;
  if (durationMs % 1_000 === 0) return `${durationMs / 1_000} s`;
  return `${durationMs} ms`;
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}
