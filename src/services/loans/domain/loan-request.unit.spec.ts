import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../http/problem.ts';
import { requestDigest } from '../../http/idempotency.ts';
import { ageOn, checkLoanRequest, type LoanRequestBody } from './loan-request.ts';

const today = '2026-12-07';
const readme: LoanRequestBody = {
  applicant: {
    name: 'Maria Schneider',
    dateOfBirth: '1985-04-12',
    country: 'DE',
    postalAddress: { townName: 'Berlin', country: 'DE' },
    account: 'de89 3704 0044 0532 0130 00',
  },
  amount: '5000.00',
  currency: 'EUR',
  termMonths: 24,
  declaredMonthlyIncome: '4000.00',
  declaredMonthlyDebts: '0',
};

/** The problem a request is refused with: its code and pointer. */
function refusal(body: LoanRequestBody): { code: string; pointer?: string } {
  try {
    checkLoanRequest(body, today);
  } catch (error) {
    if (error instanceof ProblemError)
      return { code: error.problem.code, ...(error.problem.pointer ? { pointer: error.problem.pointer } : {}) };
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('a loan request', () => {
  it('is read into minor units, with the IBAN compacted', () => {
    expect(checkLoanRequest(readme, today)).toMatchObject({
      amountMinor: 500_000n,
      declaredMonthlyIncomeMinor: 400_000n,
      declaredMonthlyDebtsMinor: 0n,
      applicant: { account: 'DE89370400440532013000' },
    });
  });

  it.each([
    [
      { ...readme, currency: 'XXX' },
      { code: 'unknown-currency', pointer: '/currency' },
    ],
    [
      { ...readme, amount: '0.00' },
      { code: 'invalid-amount', pointer: '/amount' },
    ],
    [
      { ...readme, amount: '10.001' },
      { code: 'too-many-decimals', pointer: '/amount' },
    ],
    [
      { ...readme, declaredMonthlyIncome: '0' },
      { code: 'invalid-amount', pointer: '/declaredMonthlyIncome' },
    ],
    [
      { ...readme, termMonths: 361 },
      { code: 'invalid-field', pointer: '/termMonths' },
    ],
    [
      { ...readme, applicant: { ...readme.applicant, account: 'DE00370400440532013000' } },
      { code: 'invalid-iban', pointer: '/applicant/account' },
    ],
    [
      { ...readme, applicant: { ...readme.applicant, country: 'EU' } },
      { code: 'invalid-country', pointer: '/applicant/country' },
    ],
    [
      { ...readme, applicant: { ...readme.applicant, dateOfBirth: '1985-02-30' } },
      { code: 'invalid-field', pointer: '/applicant/dateOfBirth' },
    ],
    [
      { ...readme, applicant: { ...readme.applicant, dateOfBirth: '2008-12-08' } },
      { code: 'invalid-field', pointer: '/applicant/dateOfBirth' },
    ],
  ])('is refused precisely: %#', (body, expected) => {
    expect(refusal(body as LoanRequestBody)).toEqual(expected);
  });

  it('accepts an applicant on their eighteenth birthday', () => {
    expect(ageOn('2008-12-07', today)).toBe(18);
    expect(() => checkLoanRequest({ ...readme, applicant: { ...readme.applicant, dateOfBirth: '2008-12-07' } }, today)).not.toThrow();
  });

  it('has the same digest whatever the order of its fields', () => {
    const { amount, ...rest } = readme;
    expect(requestDigest({ amount, ...rest })).toBe(requestDigest(readme));
    expect(requestDigest({ ...readme, amount: '5000.01' })).not.toBe(requestDigest(readme));
  });
});
