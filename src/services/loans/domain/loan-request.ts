import { isValidIBAN } from 'ibantools';
import { isPayableCurrency, parseAmountField } from '../../../contracts/money.ts';
import { ProblemError } from '../../http/problem.ts';

/** The body of `POST /v1/loan-applications`, after the JSON schema checked its shape. */
export interface LoanRequestBody {
  applicant: {
    name: string;
    dateOfBirth: string;
    country: string;
    postalAddress: { streetName?: string; buildingNumber?: string; postCode?: string; townName: string; country: string };
    account: string;
  };
  amount: string;
  currency: string;
  termMonths: number;
  declaredMonthlyIncome: string;
  declaredMonthlyDebts: string;
}

/** A loan request that passed every check the API can make without the database. */
export interface CheckedLoanRequest {
  applicant: LoanRequestBody['applicant'];
  amountMinor: bigint;
  currency: string;
  termMonths: number;
  declaredMonthlyIncomeMinor: bigint;
  declaredMonthlyDebtsMinor: bigint;
}

/** The limits of a request: a term of 1 to 360 months; an applicant of age. */
export const maxTermMonths = 360;
export const minApplicantAgeYears = 18;

/**
 * The checks of a loan request that need no database: the currency, the amounts (decimal strings
 * in the currency's minor units), the account's IBAN, the countries, and an applicant of age on
 * `today` (YYYY-MM-DD, the injected clock's). Throws a `ProblemError` naming the offending field.
 */
export function checkLoanRequest(body: LoanRequestBody, today: string): CheckedLoanRequest {
  if (!isPayableCurrency(body.currency))
    throw new ProblemError('unknown-currency', `${body.currency} is not an active ISO 4217 currency`, '/currency');
  const amountMinor = amountOf(body.amount, body.currency, 'amount', true);
  const declaredMonthlyIncomeMinor = amountOf(body.declaredMonthlyIncome, body.currency, 'declaredMonthlyIncome', true);
  const declaredMonthlyDebtsMinor = amountOf(body.declaredMonthlyDebts, body.currency, 'declaredMonthlyDebts', false);
  if (!Number.isInteger(body.termMonths) || body.termMonths < 1 || body.termMonths > maxTermMonths)
    throw new ProblemError('invalid-field', `termMonths must be a whole number of months from 1 to ${maxTermMonths}`, '/termMonths');
  const account = body.applicant.account.replace(/\s+/g, '').toUpperCase();
  if (!isValidIBAN(account)) throw new ProblemError('invalid-iban', 'the applicant account must be a valid IBAN', '/applicant/account');
  checkCountry(body.applicant.country, '/applicant/country');
  checkCountry(body.applicant.postalAddress.country, '/applicant/postalAddress/country');
  if (!isDate(body.applicant.dateOfBirth) || body.applicant.dateOfBirth >= today)
    throw new ProblemError(
      'invalid-field',
      'dateOfBirth must be a calendar date in the past, written YYYY-MM-DD',
      '/applicant/dateOfBirth',
    );
  if (ageOn(body.applicant.dateOfBirth, today) < minApplicantAgeYears)
    throw new ProblemError('invalid-field', `the applicant must be at least ${minApplicantAgeYears} years old`, '/applicant/dateOfBirth');
  return {
    applicant: { ...body.applicant, account },
    amountMinor,
    currency: body.currency,
    termMonths: body.termMonths,
    declaredMonthlyIncomeMinor,
    declaredMonthlyDebtsMinor,
  };
}

function amountOf(text: string, currency: string, field: string, positive: boolean): bigint {
  const parsed = parseAmountField(text, currency, field, { positive });
  if (!parsed.ok) throw new ProblemError(parsed.code, parsed.detail, `/${field}`);
  return parsed.amountMinor;
}

const notCountries = new Set(['ZZ', 'EU', 'EZ', 'UN', 'QO']);
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

function checkCountry(country: string, pointer: string): void {
  const known = /^[A-Z]{2}$/.test(country) && !notCountries.has(country) && regionNames.of(country) !== country;
  if (!known) throw new ProblemError('invalid-country', `${country} is not an ISO 3166-1 alpha-2 country code`, pointer);
}

function isDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match || Number(match[1]) < 1900) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/** Whole years between two YYYY-MM-DD dates. */
export function ageOn(dateOfBirth: string, today: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}
