import { isValidBIC, isValidIBAN } from 'ibantools';
import { minorUnitsOf, parseAmountField } from '../../../contracts/money.ts';
import type { Party } from '../../../contracts/payment.ts';
import { ProblemError } from '../../http/problem.ts';

/** The body of `POST /v1/payments`, after the JSON schema checked its shape. */
export interface PaymentRequestBody {
  amount: string;
  currency: string;
  debtor: PartyBody;
  creditor: PartyBody & { agent: string; country: string };
  remittanceInformation?: string;
  endToEndId?: string;
}

interface PartyBody {
  name: string;
  account: string;
  agent?: string;
  country?: string;
  postalAddress?: { streetName?: string; buildingNumber?: string; postCode?: string; townName: string; country: string };
  dateOfBirth?: string;
  placeOfBirth?: { city: string; country: string };
  nationalId?: { id: string; scheme: string; issuer?: string };
}

/** A payment request that passed every check the API can make alone. */
export interface CheckedPaymentRequest {
  amountMinor: bigint;
  currency: string;
  debtor: Party;
  creditor: Party;
  remittanceInformation: string | null;
  endToEndId: string | null;
}

/**
 * The checks of a payment request that need no database: currency, amount, IBAN, BIC, account and
 * country formats. Throws a `ProblemError` naming the first offending field (a JSON pointer).
 */
export function checkPaymentRequest(body: PaymentRequestBody): CheckedPaymentRequest {
  if (minorUnitsOf(body.currency) === undefined)
    throw new ProblemError('unknown-currency', `${body.currency} is not an active ISO 4217 currency`, '/currency');
  // Bounded to 64-bit minor units: a larger amount would fail the payments table's insert, and with
  // it the whole group commit of other requests.
  const amount = parseAmountField(body.amount, body.currency, 'amount', { positive: true });
  if (!amount.ok) throw new ProblemError(amount.code, amount.detail, '/amount');
  const debtorAccount = compact(body.debtor.account);
  if (!isValidIBAN(debtorAccount)) throw new ProblemError('invalid-iban', 'the debtor account must be a valid IBAN', '/debtor/account');
  const creditorAccount = compact(body.creditor.account);
  if (looksLikeIban(creditorAccount)) {
    if (!isValidIBAN(creditorAccount))
      throw new ProblemError('invalid-iban', 'the creditor account is not a valid IBAN', '/creditor/account');
  } else if (!/^[A-Z0-9-]{1,34}$/.test(creditorAccount)) {
    throw new ProblemError(
      'invalid-account',
      'the creditor account must be an IBAN or an account number of up to 34 letters and digits',
      '/creditor/account',
    );
  }
  checkBic(body.debtor.agent, '/debtor/agent');
  checkBic(body.creditor.agent, '/creditor/agent');
  checkCountry(body.debtor.country, '/debtor/country');
  checkCountry(body.creditor.country, '/creditor/country');
  const debtorDetails = checkPartyDetails(body.debtor, '/debtor');
  const creditorDetails = checkPartyDetails(body.creditor, '/creditor');
  return {
    amountMinor: amount.amountMinor,
    currency: body.currency,
    debtor: {
      name: body.debtor.name,
      account: debtorAccount,
      agent: body.debtor.agent ?? null,
      country: body.debtor.country ?? null,
      ...debtorDetails,
    },
    creditor: {
      name: body.creditor.name,
      account: creditorAccount,
      agent: body.creditor.agent,
      country: body.creditor.country,
      ...creditorDetails,
    },
    remittanceInformation: body.remittanceInformation ?? null,
    endToEndId: body.endToEndId ?? null,
  };
}

/** The optional ISO 20022 party details: countries known, a real date of birth in the past. */
function checkPartyDetails(
  party: PartyBody,
  pointer: string,
): Pick<Party, 'postalAddress' | 'dateOfBirth' | 'placeOfBirth' | 'nationalId'> {
  const address = party.postalAddress;
  if (address) checkCountry(address.country, `${pointer}/postalAddress/country`);
  if (party.placeOfBirth) checkCountry(party.placeOfBirth.country, `${pointer}/placeOfBirth/country`);
  if (party.nationalId?.issuer !== undefined) checkCountry(party.nationalId.issuer, `${pointer}/nationalId/issuer`);
  if (party.dateOfBirth !== undefined && !isPastDate(party.dateOfBirth))
    throw new ProblemError(
      'invalid-field',
      'dateOfBirth must be a calendar date in the past, written YYYY-MM-DD',
      `${pointer}/dateOfBirth`,
    );
  return {
    postalAddress: address
      ? {
          streetName: address.streetName ?? null,
          buildingNumber: address.buildingNumber ?? null,
          postCode: address.postCode ?? null,
          townName: address.townName,
          country: address.country,
        }
      : null,
    dateOfBirth: party.dateOfBirth ?? null,
    placeOfBirth: party.placeOfBirth ?? null,
    nationalId: party.nationalId
      ? { id: party.nationalId.id, scheme: party.nationalId.scheme, issuer: party.nationalId.issuer ?? null }
      : null,
  };
}

function isPastDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text) && date.getTime() < Date.now() && Number(match[1]) >= 1900;
}

function compact(account: string): string {
  return account.replace(/\s+/g, '').toUpperCase();
}

function looksLikeIban(account: string): boolean {
  return /^[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}$/.test(account);
}

function checkBic(bic: string | undefined, pointer: string): void {
  if (bic !== undefined && !isValidBIC(bic)) throw new ProblemError('invalid-bic', `${bic} is not a valid BIC (ISO 9362)`, pointer);
}

/** Region codes Intl knows that are not countries. */
const notCountries = new Set(['ZZ', 'EU', 'EZ', 'UN', 'QO']);
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

function checkCountry(country: string | undefined, pointer: string): void {
  if (country === undefined) return;
  const known = /^[A-Z]{2}$/.test(country) && !notCountries.has(country) && regionNames.of(country) !== country;
  if (!known) throw new ProblemError('invalid-country', `${country} is not an ISO 3166-1 alpha-2 country code`, pointer);
}
