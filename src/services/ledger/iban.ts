import { randomInt } from 'node:crypto';
import { composeIBAN, electronicFormatIBAN, isValidIBAN } from 'ibantools';

/**
 * IBANs for accounts this bank opens: the bank's country and national bank code, a fresh account
 * number, and check digits computed by ibantools (ISO 13616 mod 97).
 */
export interface IbanIssuer {
  countryCode: string;
  /** The national bank code part of the BBAN, e.g. a German Bankleitzahl (8 digits). */
  bankCode: string;
  /** Digits of the account number, padded, so BBAN = bankCode + account number. */
  accountNumberDigits: number;
}

export const defaultIbanIssuer: IbanIssuer = { countryCode: 'DE', bankCode: '50010517', accountNumberDigits: 10 };

export function issueIban(issuer: IbanIssuer, random: (max: number) => number = randomInt): string {
  const accountNumber = Array.from({ length: issuer.accountNumberDigits }, () => random(10)).join('');
  const iban = composeIBAN({ countryCode: issuer.countryCode, bban: `${issuer.bankCode}${accountNumber}` });
  if (!iban || !isValidIBAN(iban))
    throw new Error(`IBAN issuer misconfigured: ${issuer.countryCode}/${issuer.bankCode} does not compose a valid IBAN`);
  return iban;
}

/** Uppercase, no spaces: the form accounts are stored and compared in. */
export function normalizeIban(text: string): string {
  return electronicFormatIBAN(text) ?? text.replace(/\s+/g, '').toUpperCase();
}
