import { describe, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import type { AccountState } from './ledger.ts';
import { decideLoanDisbursement, decideLoanRelease, decideLoanReservation, type LendingCapacity, type LoanHold } from './lending.ts';

const capacity: LendingCapacity = { currency: 'EUR', capacityMinor: 1_000_000n, reservedMinor: 300_000n, lentMinor: 200_000n };
const applicant: AccountState = {
  accountId: 'DE89370400440532013000',
  currency: 'EUR',
  status: 'open',
  balanceMinor: 0n,
  reservedMinor: 0n,
  overdraftLimitMinor: 0n,
};

const reservation = decisionSpec(
  (given: { capacity: LendingCapacity | undefined; applicant: AccountState | undefined }, amountMinor: bigint) =>
    decideLoanReservation(given.capacity, given.applicant, amountMinor, 'EUR'),
);
const disbursement = decisionSpec((given: { hold: LoanHold | undefined; applicant: AccountState | undefined }, _: null) =>
  decideLoanDisbursement(given.hold, given.applicant, 'BANK-LOAN-FUNDING-EUR', 'EUR'),
);
const release = decisionSpec((hold: LoanHold | undefined, _: null) => decideLoanRelease(hold));

describe('a loan in the ledger', () => {
  it('reserves up to the capacity left, and not a cent more', () => {
    reservation.given({ capacity, applicant }).when(500_000n).then({ kind: 'reserve' });
    reservation
      .given({ capacity, applicant })
      .when(500_001n)
      .then({ kind: 'refuse', reason: 'the lending capacity left does not cover the amount' });
  });

  it('refuses a currency the bank does not lend in, a closed account and an account in another currency', () => {
    reservation.given({ capacity: undefined, applicant }).when(100n).then({ kind: 'refuse', reason: 'the bank does not lend in EUR' });
    reservation
      .given({ capacity, applicant: { ...applicant, status: 'closed' } })
      .when(100n)
      .thenMatches({ kind: 'refuse' });
    reservation
      .given({ capacity, applicant: { ...applicant, currency: 'USD' } })
      .when(100n)
      .then({ kind: 'refuse', reason: 'the applicant account is not in EUR' });
  });

  it('pays out an open hold in one balanced entry, and a posted one never again', () => {
    disbursement
      .given({ hold: { amountMinor: 500_000n, state: 'held' }, applicant })
      .when(null)
      .then({
        kind: 'disburse',
        postings: [
          { accountId: 'BANK-LOAN-FUNDING-EUR', amountMinor: -500_000n },
          { accountId: applicant.accountId, amountMinor: 500_000n },
        ],
      });
    disbursement
      .given({ hold: { amountMinor: 500_000n, state: 'posted' }, applicant })
      .when(null)
      .then({ kind: 'already-disbursed' });
  });

  it('never pays out without an open hold', () => {
    disbursement.given({ hold: undefined, applicant }).when(null).thenMatches({ kind: 'refuse' });
    disbursement
      .given({ hold: { amountMinor: 1n, state: 'released' }, applicant })
      .when(null)
      .then({ kind: 'refuse', reason: 'the reservation was released' });
  });

  it('releases a hold once; records a release that came first; refuses to release a paid-out loan', () => {
    release.given({ amountMinor: 1n, state: 'held' }).when(null).then({ kind: 'release' });
    release.given({ amountMinor: 1n, state: 'released' }).when(null).then({ kind: 'already-released' });
    release.given(undefined).when(null).then({ kind: 'record-released' });
    release.given({ amountMinor: 1n, state: 'posted' }).when(null).then({ kind: 'refuse', reason: 'the loan was disbursed already' });
  });
});
