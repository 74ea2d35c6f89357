import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PaymentReasonCodes } from '../../../contracts/payment.ts';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import {
  availableMinor,
  balanced,
  bankAccounts,
  decideCreditorRoute,
  decideReservation,
  depositPostings,
  settlementPostings,
  type AccountState,
  type Posting,
} from './ledger.ts';

// The ledger's decisions on account states, without a database. An order is the part of an
// approved payment the ledger judges: its amount and currency, and its creditor's account when
// that is a customer account of this bank (undefined: another bank's, paid over RTGS).
const debtorId = 'DE89370400440532013000';
const creditorId = 'DE02120300000000202051';

function account(overrides: Partial<AccountState> = {}): AccountState {
  return {
    accountId: debtorId,
    currency: 'EUR',
    status: 'open',
    balanceMinor: 100_00n,
    reservedMinor: 0n,
    overdraftLimitMinor: 0n,
    ...overrides,
  };
}
const internalCreditor = (overrides: Partial<AccountState> = {}) => account({ accountId: creditorId, balanceMinor: 0n, ...overrides });

interface Order {
  amountMinor: bigint;
  currency?: string;
  creditor?: AccountState;
}
const reservation = decisionSpec((debtor: AccountState | undefined, order: Order) =>
  decideReservation(debtor, order.creditor, order.amountMinor, order.currency ?? 'EUR'),
);
const reserve = (amountMinor: bigint, route: 'RTGS' | 'INTERNAL' = 'RTGS') =>
  ({ kind: 'reserve', accountId: debtorId, amountMinor, route }) as const;

describe('decideReservation', () => {
  it('given an open account with the funds, when it pays another bank, then it reserves the amount for RTGS', () => {
    reservation.given(account()).when({ amountMinor: 40_00n }).then(reserve(40_00n));
  });

  it('given an open account with the funds, when it pays an open account of this bank in its currency, then it reserves for an internal transfer', () => {
    reservation.given(account()).when({ amountMinor: 40_00n, creditor: internalCreditor() }).then(reserve(40_00n, 'INTERNAL'));
  });

  it('reserves the whole available balance, and not a cent more (insufficient funds)', () => {
    reservation.given(account()).when({ amountMinor: 100_00n }).then(reserve(100_00n));
    reservation.given(account()).when({ amountMinor: 100_01n }).then({
      kind: 'refuse',
      reasonCode: PaymentReasonCodes.INSUFFICIENT_FUNDS,
      reason: 'the available balance and overdraft do not cover the amount',
    });
  });

  it('counts the open holds: what is reserved is not available', () => {
    reservation
      .given(account({ reservedMinor: 60_00n }))
      .when({ amountMinor: 40_00n })
      .then(reserve(40_00n));
    reservation
      .given(account({ reservedMinor: 60_00n }))
      .when({ amountMinor: 40_01n })
      .thenMatches({ reasonCode: PaymentReasonCodes.INSUFFICIENT_FUNDS });
  });

  it('lets the available balance go down to minus the overdraft limit, and no further', () => {
    const overdrawn = account({ balanceMinor: -20_00n, reservedMinor: 10_00n, overdraftLimitMinor: 50_00n }); // available −30.00
    reservation.given(overdrawn).when({ amountMinor: 20_00n }).then(reserve(20_00n));
    reservation
      .given(overdrawn)
      .when({ amountMinor: 20_01n })
      .thenMatches({ kind: 'refuse', reasonCode: PaymentReasonCodes.INSUFFICIENT_FUNDS });
  });

  it("puts no floor under an account without a limit (the bank's own)", () => {
    reservation
      .given(account({ balanceMinor: -1_000_000_00n, overdraftLimitMinor: null }))
      .when({ amountMinor: 1_000_000_00n })
      .then(reserve(1_000_000_00n));
  });

  it('refuses a debtor account that does not exist, is closed, or is in another currency', () => {
    reservation
      .given(undefined)
      .when({ amountMinor: 1n })
      .then({ kind: 'refuse', reasonCode: PaymentReasonCodes.DEBTOR_ACCOUNT_NOT_FOUND, reason: 'the debtor account does not exist' });
    reservation
      .given(account({ status: 'closed' }))
      .when({ amountMinor: 1n })
      .then({ kind: 'refuse', reasonCode: PaymentReasonCodes.DEBTOR_ACCOUNT_CLOSED, reason: 'the debtor account is closed' });
    reservation.given(account()).when({ amountMinor: 1n, currency: 'USD' }).then({
      kind: 'refuse',
      reasonCode: PaymentReasonCodes.CURRENCY_MISMATCH,
      reason: 'the debtor account is in EUR, the payment in USD',
    });
  });

  it('refuses a payment to a closed account of this bank, or one in another currency', () => {
    const refused = {
      kind: 'refuse',
      reasonCode: PaymentReasonCodes.CREDITOR_ACCOUNT_INVALID,
      reason: 'the creditor account of this bank is closed or in another currency',
    } as const;
    reservation
      .given(account())
      .when({ amountMinor: 1n, creditor: internalCreditor({ status: 'closed' }) })
      .then(refused);
    reservation
      .given(account())
      .when({ amountMinor: 1n, creditor: internalCreditor({ currency: 'GBP' }) })
      .then(refused);
  });

  it("judges the debtor first: a payment wrong on both counts fails for the debtor's reason", () => {
    const closedCreditor = internalCreditor({ status: 'closed' });
    reservation
      .given(account({ balanceMinor: 0n }))
      .when({ amountMinor: 1n, creditor: closedCreditor })
      .thenMatches({ reasonCode: PaymentReasonCodes.INSUFFICIENT_FUNDS });
    reservation
      .given(account({ status: 'closed' }))
      .when({ amountMinor: 1n, creditor: closedCreditor })
      .thenMatches({ reasonCode: PaymentReasonCodes.DEBTOR_ACCOUNT_CLOSED });
  });

  it('throws on an amount that is not positive: the contract allows none, so it is a bug upstream', () => {
    reservation.given(account()).when({ amountMinor: 0n }).thenThrows(RangeError, 'a reservation must be positive, got 0');
    reservation
      .given(account())
      .when({ amountMinor: -5n })
      .thenThrows(RangeError, /must be positive/);
  });
});

describe('decideCreditorRoute', () => {
  const route = decisionSpec(decideCreditorRoute);

  it('sends a payment to an account that is not a customer account of this bank over RTGS', () => {
    route.given(undefined).when('EUR').then({ kind: 'route', route: 'RTGS' });
  });

  it('settles a payment to an open customer account of this bank in its currency internally', () => {
    route.given(internalCreditor()).when('EUR').then({ kind: 'route', route: 'INTERNAL' });
    // The creditor's own balance, even overdrawn, does not matter: it is credited.
    route
      .given(internalCreditor({ balanceMinor: -10_00n, reservedMinor: 5_00n }))
      .when('EUR')
      .then({ kind: 'route', route: 'INTERNAL' });
  });

  it('refuses a closed account of this bank, or one in another currency: the money would have nowhere to go', () => {
    const refused = {
      kind: 'refuse',
      reasonCode: PaymentReasonCodes.CREDITOR_ACCOUNT_INVALID,
      reason: 'the creditor account of this bank is closed or in another currency',
    } as const;
    route
      .given(internalCreditor({ status: 'closed' }))
      .when('EUR')
      .then(refused);
    route.given(internalCreditor()).when('CHF').then(refused);
  });
});

describe('postings', () => {
  it('settles a held amount: the debtor pays, the counterpart receives', () => {
    expect(settlementPostings(debtorId, bankAccounts.rtgsSettlement('EUR'), 12_34n)).toEqual([
      { accountId: debtorId, amountMinor: -12_34n },
      { accountId: 'BANK-RTGS-SETTLEMENT-EUR', amountMinor: 12_34n },
    ]);
  });

  it("deposits from the bank's funding account, and refuses an amount that is not positive", () => {
    expect(depositPostings(bankAccounts.funding('GBP'), debtorId, 5n)).toEqual([
      { accountId: 'BANK-FUNDING-GBP', amountMinor: -5n },
      { accountId: debtorId, amountMinor: 5n },
    ]);
    expect(() => depositPostings(bankAccounts.funding('GBP'), debtorId, 0n)).toThrow(RangeError);
  });

  it('refuses an entry whose postings do not sum to zero as a broken invariant', () => {
    expect(() =>
      balanced([
        { accountId: 'a', amountMinor: 1n },
        { accountId: 'b', amountMinor: -2n },
      ]),
    ).toThrow('ledger invariant broken: postings sum to -1, not 0');
  });
});

// Double entry, whatever the amounts: every decision's postings sum to zero per currency. A
// reservation posts nothing; its settlement (over RTGS or internally) and a deposit post a
// balanced pair; a release posts nothing. So the bank's books, summed, never move.
describe('double entry, for any amounts and accounts', () => {
  const currencies = ['EUR', 'USD', 'GBP', 'JPY', 'BHD'] as const;
  const arbitraryAccount = fc.record({
    accountId: fc.constant(debtorId),
    currency: fc.constantFrom(...currencies),
    status: fc.constantFrom('open' as const, 'closed' as const),
    balanceMinor: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 15n }),
    reservedMinor: fc.bigInt({ min: 0n, max: 10n ** 12n }),
    overdraftLimitMinor: fc.option(fc.bigInt({ min: 0n, max: 10n ** 12n }), { nil: null }),
  });
  const arbitraryCreditor = fc.option(
    arbitraryAccount.map((creditor) => ({ ...creditor, accountId: creditorId })),
    { nil: undefined },
  );
  const arbitraryPayment = fc.record({ amountMinor: fc.bigInt({ min: 1n, max: 10n ** 15n }), currency: fc.constantFrom(...currencies) });

  it('every posting a payment decision leads to sums to zero per currency, and never takes a debtor below its floor', () => {
    fc.assert(
      fc.property(
        arbitraryAccount,
        arbitraryCreditor,
        fc.array(arbitraryPayment, { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (start, creditor, payments, rtgsSettles) => {
          // Payments in a row on one account, as the ledger's batch decides them: each sees the holds of the ones before.
          let debtor = start;
          const entries: { currency: string; postings: Posting[] }[] = [];
          for (const payment of payments) {
            const decision = decideReservation(debtor, creditor, payment.amountMinor, payment.currency);
            if (decision.kind === 'refuse') continue;
            expect(decision.amountMinor).toBe(payment.amountMinor);
            if (debtor.overdraftLimitMinor !== null)
              expect(availableMinor(debtor) - decision.amountMinor).toBeGreaterThanOrEqual(-debtor.overdraftLimitMinor);
            const counterpart = decision.route === 'INTERNAL' ? creditorId : bankAccounts.rtgsSettlement(payment.currency);
            // Settled (internal transfers at once, RTGS ones when the network accepts them) or still held.
            if (decision.route === 'INTERNAL' || rtgsSettles) {
              entries.push({
                currency: payment.currency,
                postings: settlementPostings(decision.accountId, counterpart, decision.amountMinor),
              });
              debtor = { ...debtor, balanceMinor: debtor.balanceMinor - decision.amountMinor };
            } else {
              debtor = { ...debtor, reservedMinor: debtor.reservedMinor + decision.amountMinor };
            }
          }
          entries.push({
            currency: start.currency,
            postings: depositPostings(bankAccounts.funding(start.currency), debtorId, payments[0]!.amountMinor),
          });
          const sumByCurrency = new Map<string, bigint>();
          for (const entry of entries) {
            const entrySum = entry.postings.reduce((sum, posting) => sum + posting.amountMinor, 0n);
            expect(entrySum).toBe(0n);
            sumByCurrency.set(entry.currency, (sumByCurrency.get(entry.currency) ?? 0n) + entrySum);
          }
          for (const sum of sumByCurrency.values()) expect(sum).toBe(0n);
        },
      ),
      { numRuns: 300 },
    );
  });
});
