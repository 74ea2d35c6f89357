import currencyCodes from 'currency-codes';

/**
 * Money as paystream carries it: an integer number of minor units (`amountMinor`, a bigint) and an
 * ISO 4217 currency code. Never a float. Decimal strings ("1250.50") exist only at the edges (the
 * HTTP API, ISO 20022 XML) and are converted here, exactly, with the currency's minor units.
 */
export interface Money {
  amountMinor: bigint;
  currency: string;
}

/**
 * Codes in the ISO 4217 list that are not currencies a customer can pay in: precious metals,
 * testing and "no currency" codes, SDRs and units of account, and fund codes.
 */
const notPayable = new Set([
  'XAU',
  'XAG',
  'XPD',
  'XPT',
  'XBA',
  'XBB',
  'XBC',
  'XBD',
  'XDR',
  'XSU',
  'XUA',
  'XTS',
  'XXX',
  'BOV',
  'CHE',
  'CHW',
  'CLF',
  'COU',
  'MXV',
  'USN',
  'UYI',
  'UYW',
]);

/** The minor units (decimal places) of an active, payable ISO 4217 currency, or undefined. */
export function minorUnitsOf(currency: string): number | undefined {
  if (!/^[A-Z]{3}$/.test(currency) || notPayable.has(currency)) return undefined;
  const entry = currencyCodes.code(currency);
  return entry ? entry.digits : undefined;
}

export function isPayableCurrency(currency: string): boolean {
  return minorUnitsOf(currency) !== undefined;
}

export type DecimalParseFailure = 'not-a-decimal' | 'too-many-decimals' | 'not-positive' | 'out-of-range' | 'unknown-currency';

/** The largest amount paystream carries: a signed 64-bit integer of minor units (Avro long, PostgreSQL bigint). */
export const maxAmountMinor = 2n ** 63n - 1n;

/**
 * Parses a decimal string ("1250.50") into minor units of `currency`. Refuses exponents, signs
 * other than a leading minus, more decimals than the currency has, and (with `positive`) zero or
 * negative amounts.
 */
export function parseDecimal(
  text: string,
  currency: string,
  options: { positive?: boolean } = {},
): { ok: true; amountMinor: bigint } | { ok: false; failure: DecimalParseFailure } {
  const digits = minorUnitsOf(currency);
  if (digits === undefined) return { ok: false, failure: 'unknown-currency' };
  const match = /^(-)?(\d{1,18})(?:\.(\d+))?$/.exec(text);
  if (!match) return { ok: false, failure: 'not-a-decimal' };
  const [, minus, whole, fraction = ''] = match;
  if (fraction.length > digits) return { ok: false, failure: 'too-many-decimals' };
  const amountMinor = (BigInt(whole!) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0')) * (minus ? -1n : 1n);
  if (amountMinor > maxAmountMinor || amountMinor < -maxAmountMinor) return { ok: false, failure: 'out-of-range' };
  if (options.positive && amountMinor <= 0n) return { ok: false, failure: 'not-positive' };
  return { ok: true, amountMinor };
}

/** Why an amount field of a request was refused: the problem code an API answers with, and a sentence naming the field. */
export interface AmountFieldRefusal {
  code: 'unknown-currency' | 'too-many-decimals' | 'invalid-amount';
  detail: string;
}

/**
 * An amount field of an API request (a decimal string such as "1250.50" in `currency`) in minor
 * units, or why it is refused: an unknown currency, more decimals than the currency has, not a
 * decimal, beyond what 64-bit minor units hold (the tables' int8, the events' Avro long: 18 whole
 * digits parse, but with the minor units they can exceed it), or below its floor (`positive`:
 * greater than zero; otherwise zero or more). One reading for every API that takes amounts, so a
 * payment, a loan application, a deposit and an order refuse the same input the same way.
 */
export function parseAmountField(
  text: string,
  currency: string,
  field: string,
  options: { positive: boolean },
): { ok: true; amountMinor: bigint } | ({ ok: false } & AmountFieldRefusal) {
  const parsed = parseDecimal(text, currency, { positive: options.positive });
  if (parsed.ok && parsed.amountMinor >= 0n) return parsed;
  const failure = parsed.ok ? 'not-positive' : parsed.failure;
  if (failure === 'unknown-currency')
    return { ok: false, code: 'unknown-currency', detail: `${currency} is not an active ISO 4217 currency` };
  if (failure === 'too-many-decimals')
    return { ok: false, code: 'too-many-decimals', detail: `${field}: ${currency} has ${minorUnitsOf(currency)} decimals` };
  if (failure === 'out-of-range')
    return {
      ok: false,
      code: 'invalid-amount',
      detail: `${field} is too large: at most ${formatDecimal(maxAmountMinor, currency)} ${currency}`,
    };
  const floor = options.positive ? 'greater than zero' : 'of zero or more';
  return { ok: false, code: 'invalid-amount', detail: `${field} must be a decimal string ${floor}, e.g. "1250.50"` };
}

/** Formats minor units as a decimal string with exactly the currency's minor units ("1250.50", "100"). */
export function formatDecimal(amountMinor: bigint, currency: string): string {
  const digits = minorUnitsOf(currency);
  if (digits === undefined) throw new TypeError(`not a payable ISO 4217 currency: ${currency}`);
  const negative = amountMinor < 0n;
  const absolute = negative ? -amountMinor : amountMinor;
  const scale = 10n ** BigInt(digits);
  const whole = absolute / scale;
  const fraction = digits === 0 ? '' : `.${(absolute % scale).toString().padStart(digits, '0')}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
