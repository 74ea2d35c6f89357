import { describe, expect, it } from 'vitest';
import { decideOnStatus, outcomeOfStatus, type SubmissionFacts } from './status-decision.ts';

const submitted: SubmissionFacts = {
  uetr: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
  paymentId: 'pay-1',
  debtorAccount: 'DE89370400440532013000',
  state: 'submitted',
};

describe('decideOnStatus', () => {
  it.each(['ACSC', 'ACCC'])(
    'given a submitted payment, when the network answers %s, then it settles once with the settlement date',
    (code) => {
      const decision = decideOnStatus(submitted, { uetr: submitted.uetr, status: code, settlementDate: '2024-05-03' }, '2024-05-02');
      expect(decision).toEqual({
        kind: 'settle',
        event: {
          topic: 'rtgs.settled.v1',
          eventType: 'RtgsSettled',
          key: submitted.debtorAccount,
          payload: { paymentId: 'pay-1', uetr: submitted.uetr, debtorAccount: submitted.debtorAccount, settlementDate: '2024-05-03' },
        },
      });
    },
  );

  it('given no settlement date in the status, then the report date is the settlement date', () => {
    const decision = decideOnStatus(submitted, { uetr: submitted.uetr, status: 'ACSC' }, '2024-05-02');
    expect(decision.kind === 'settle' && decision.event.payload.settlementDate).toBe('2024-05-02');
  });

  it('given RJCT with a reason, then it rejects with the ISO reason code', () => {
    const decision = decideOnStatus(
      submitted,
      { uetr: submitted.uetr, status: 'RJCT', reasonCode: 'AC04', reasonText: 'Account closed' },
      '2024-05-02',
    );
    expect(decision).toMatchObject({
      kind: 'reject',
      event: { topic: 'rtgs.rejected.v1', key: submitted.debtorAccount, payload: { reasonCode: 'AC04', reason: 'Account closed' } },
    });
  });

  it('given RJCT without a reason, then the reason code is NARR', () => {
    const decision = decideOnStatus(submitted, { uetr: submitted.uetr, status: 'RJCT' }, '2024-05-02');
    expect(decision).toMatchObject({ kind: 'reject', event: { payload: { reasonCode: 'NARR' } } });
  });

  it.each(['PDNG', 'ACSP', 'ACTC', 'ZZZZ'])('given %s, then it is still pending', (code) => {
    expect(decideOnStatus(submitted, { uetr: submitted.uetr, status: code }, '2024-05-02')).toEqual({ kind: 'pending', status: code });
  });

  it('given an already settled payment, when the settlement arrives again, then nothing happens', () => {
    expect(decideOnStatus({ ...submitted, state: 'settled' }, { uetr: submitted.uetr, status: 'ACSC' }, '2024-05-02')).toEqual({
      kind: 'already-final',
      state: 'settled',
      conflicting: false,
    });
  });

  it('given an already settled payment, when a reject arrives, then nothing happens but it is flagged as a conflict', () => {
    expect(decideOnStatus({ ...submitted, state: 'settled' }, { uetr: submitted.uetr, status: 'RJCT' }, '2024-05-02')).toEqual({
      kind: 'already-final',
      state: 'settled',
      conflicting: true,
    });
  });

  it('maps the status codes', () => {
    expect(['ACSC', 'ACCC', 'RJCT', 'PDNG', 'ACSP'].map(outcomeOfStatus)).toEqual(['settled', 'settled', 'rejected', 'pending', 'pending']);
  });
});
