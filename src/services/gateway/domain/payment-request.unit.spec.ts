import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../http/problem.ts';
import { checkPaymentRequest, type PaymentRequestBody } from './payment-request.ts';

const request = (amount: string, currency = 'EUR'): PaymentRequestBody => ({
  amount,
  currency,
  debtor: { name: 'Alice Example', account: 'DE89370400440532013000' },
  creditor: { name: 'Bob Martin', account: 'FR1420041010050500013M02606', agent: 'BNPAFRPP', country: 'FR' },
});

function problemOf(body: PaymentRequestBody) {
  try {
    checkPaymentRequest(body);
  } catch (error) {
    if (error instanceof ProblemError) return error.problem;
    throw error;
  }
  return undefined;
}

describe('checkPaymentRequest: the amount bound', () => {
  // Regression: 18 whole digits parse, but 1e19 minor units overflow the payments table's int8
  // (and the events' Avro long); the insert failed with a 500 for the whole group commit.
  it('accepts the largest amount 64-bit minor units hold and refuses one cent more', () => {
    expect(checkPaymentRequest(request('92233720368547758.07')).amountMinor).toBe(2n ** 63n - 1n);
    expect(problemOf(request('92233720368547758.08'))).toMatchObject({ status: 422, code: 'invalid-amount', pointer: '/amount' });
    expect(problemOf(request('999999999999999999.99'))).toMatchObject({
      code: 'invalid-amount',
      detail: 'amount is too large: at most 92233720368547758.07 EUR',
    });
  });

  it('applies the bound in minor units, whatever the currency’s decimals', () => {
    expect(problemOf(request('9223372036854775.808', 'KWD'))).toMatchObject({ code: 'invalid-amount' });
    expect(checkPaymentRequest(request('999999999999999999', 'JPY')).amountMinor).toBe(999_999_999_999_999_999n);
  });
});

describe('checkPaymentRequest: party details as ISO 20022 carries them', () => {
  const withCreditor = (details: object): PaymentRequestBody => ({
    ...request('10.00'),
    creditor: { ...request('10.00').creditor, ...details },
  });

  it('carries a postal address, date and place of birth and a national id', () => {
    const checked = checkPaymentRequest(
      withCreditor({
        postalAddress: { streetName: 'Rue de Rivoli', buildingNumber: '1', postCode: '75001', townName: 'Paris', country: 'FR' },
        dateOfBirth: '1980-02-29',
        placeOfBirth: { city: 'Lyon', country: 'FR' },
        nationalId: { id: '12AB34567', scheme: 'PASSPORT', issuer: 'FR' },
      }),
    );
    expect(checked.creditor).toMatchObject({
      postalAddress: { townName: 'Paris', country: 'FR', postCode: '75001' },
      dateOfBirth: '1980-02-29',
      placeOfBirth: { city: 'Lyon' },
      nationalId: { id: '12AB34567', scheme: 'PASSPORT', issuer: 'FR' },
    });
    expect(checked.debtor).toMatchObject({ postalAddress: null, dateOfBirth: null, placeOfBirth: null, nationalId: null });
  });

  it.each([
    [{ dateOfBirth: '1981-02-29' }, 'invalid-field', '/creditor/dateOfBirth'],
    [{ dateOfBirth: '2999-01-01' }, 'invalid-field', '/creditor/dateOfBirth'],
    [{ postalAddress: { townName: 'Paris', country: 'XX' } }, 'invalid-country', '/creditor/postalAddress/country'],
    [{ placeOfBirth: { city: 'Lyon', country: 'QQ' } }, 'invalid-country', '/creditor/placeOfBirth/country'],
  ])('refuses %j', (details, code, pointer) => {
    expect(problemOf(withCreditor(details))).toMatchObject({ code, pointer });
  });
});
