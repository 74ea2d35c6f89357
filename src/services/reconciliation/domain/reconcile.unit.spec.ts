import { describe, expect, it } from 'vitest';
import {
  BreakKinds,
  reconcile,
  type LedgerSettlement,
  type PaymentRecord,
  type ReconciliationSources,
  type StatementRecord,
} from './reconcile.ts';
import { dueBusinessDate, isBusinessDate, parseTimeOfDay } from './business-day.ts';

const day = '2025-03-14';

/** An RTGS payment settled and posted on `day`, the same on every side: the clean case. */
function rtgs(n: number, amountMinor = 10_000n * BigInt(n)) {
  const paymentId = `pay-${n}`;
  const uetr = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const payment: PaymentRecord = { paymentId, uetr, status: 'COMPLETED', amountMinor, currency: 'EUR', route: 'RTGS', terminalOn: day };
  const posting: LedgerSettlement = {
    paymentId,
    uetr,
    amountMinor,
    currency: 'EUR',
    kind: 'settlement',
    postedOn: day,
    networkSettlementDate: day,
  };
  const booked: StatementRecord = {
    uetr,
    endToEndId: `E2E-${n}`,
    amountMinor,
    currency: 'EUR',
    creditDebit: 'DBIT',
    reference: `REF-${n}`,
  };
  return { payment, posting, booked };
}

function internal(n: number, amountMinor = 500n) {
  const paymentId = `int-${n}`;
  const uetr = `11111111-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const payment: PaymentRecord = { paymentId, uetr, status: 'COMPLETED', amountMinor, currency: 'EUR', route: 'INTERNAL', terminalOn: day };
  const posting: LedgerSettlement = { paymentId, uetr, amountMinor, currency: 'EUR', kind: 'internal-transfer', postedOn: day };
  return { payment, posting };
}

function sources(overrides: Partial<ReconciliationSources> = {}): ReconciliationSources {
  const [a, b] = [rtgs(1), rtgs(2)];
  const i = internal(1);
  return {
    ledgerSettlements: [a.posting, b.posting, i.posting],
    payments: [a.payment, b.payment, i.payment],
    statement: [a.booked, b.booked],
    screeningDecisions: new Set([a.payment.paymentId, b.payment.paymentId, i.payment.paymentId]),
    ...overrides,
  };
}

describe('reconcile: given the day’s four sources, when reconciled, then', () => {
  it('a day where every side agrees is clean', () => {
    const report = reconcile(day, sources());
    expect(report).toMatchObject({ date: day, clean: true, screening: 'checked', breaks: [], timingDifferences: [] });
    expect(report.counts).toMatchObject({
      ledgerSettlements: 2,
      ledgerInternalTransfers: 1,
      paymentsTerminal: 3,
      paymentsCompleted: 3,
      statementDebits: 2,
      matched: 2,
      breaks: 0,
    });
  });

  it('an empty day is clean', () => {
    expect(reconcile(day, { ledgerSettlements: [], payments: [], statement: [], screeningDecisions: new Set() })).toMatchObject({
      clean: true,
      breaks: [],
    });
  });

  it('a settlement at the network that the ledger lacks is SETTLED_NOT_POSTED', () => {
    const c = rtgs(3);
    const base = sources();
    const report = reconcile(day, {
      ...base,
      statement: [...base.statement, c.booked],
      payments: [...base.payments, { ...c.payment, status: 'SUBMITTED', terminalOn: undefined }],
    });
    expect(report.clean).toBe(false);
    expect(report.breaks).toEqual([
      {
        kind: BreakKinds.SETTLED_NOT_POSTED,
        paymentId: 'pay-3',
        uetr: c.payment.uetr,
        currency: 'EUR',
        statementAmountMinor: 30_000n,
        paymentStatus: 'SUBMITTED',
        detail: expect.stringContaining('has not posted'),
      },
    ]);
  });

  it('a UETR at the network that is none of our payments is SETTLED_NOT_POSTED without a paymentId', () => {
    const stranger: StatementRecord = {
      uetr: 'ffffffff-0000-4000-8000-000000000000',
      amountMinor: 1n,
      currency: 'EUR',
      creditDebit: 'DBIT',
    };
    const report = reconcile(day, sources({ statement: [...sources().statement, stranger] }));
    expect(report.breaks).toEqual([
      expect.objectContaining({
        kind: BreakKinds.SETTLED_NOT_POSTED,
        uetr: stranger.uetr,
        detail: expect.stringContaining('not one of our payments'),
      }),
    ]);
    expect(report.breaks[0]).not.toHaveProperty('paymentId');
  });

  it('an RTGS posting the statement does not book is POSTED_NOT_SETTLED', () => {
    const report = reconcile(day, sources({ statement: [rtgs(1).booked] }));
    expect(report.breaks).toEqual([
      expect.objectContaining({ kind: BreakKinds.POSTED_NOT_SETTLED, paymentId: 'pay-2', ledgerAmountMinor: 20_000n }),
    ]);
    expect(report.counts.breaksByKind.POSTED_NOT_SETTLED).toBe(1);
  });

  it('a different amount in the statement is AMOUNT_MISMATCH with both amounts', () => {
    const [a, b] = [rtgs(1), rtgs(2)];
    const report = reconcile(day, sources({ statement: [a.booked, { ...b.booked, amountMinor: 20_001n }] }));
    expect(report.breaks).toEqual([
      expect.objectContaining({
        kind: BreakKinds.AMOUNT_MISMATCH,
        paymentId: 'pay-2',
        uetr: b.payment.uetr,
        ledgerAmountMinor: 20_000n,
        statementAmountMinor: 20_001n,
      }),
    ]);
    expect(report.counts.matched).toBe(1);
  });

  it('a different currency in the statement is AMOUNT_MISMATCH too', () => {
    const [a, b] = [rtgs(1), rtgs(2)];
    const report = reconcile(day, sources({ statement: [a.booked, { ...b.booked, currency: 'CHF' }] }));
    expect(report.breaks.map((found) => found.kind)).toEqual([BreakKinds.AMOUNT_MISMATCH]);
  });

  it('a payment completed without a screening decision is COMPLETED_WITHOUT_SCREENING', () => {
    const report = reconcile(day, sources({ screeningDecisions: new Set(['pay-1', 'int-1']) }));
    expect(report.breaks).toEqual([expect.objectContaining({ kind: BreakKinds.COMPLETED_WITHOUT_SCREENING, paymentId: 'pay-2' })]);
  });

  it('without screening decisions the check is "not checked", not a break', () => {
    const report = reconcile(day, sources({ screeningDecisions: undefined }));
    expect(report).toMatchObject({ clean: true, screening: 'not-checked' });
  });

  it('internal transfers are not looked for in the statement, only checked against their status', () => {
    const i = internal(2);
    const base = sources();
    const clean = reconcile(day, {
      ...base,
      ledgerSettlements: [...base.ledgerSettlements, i.posting],
      payments: [...base.payments, i.payment],
      screeningDecisions: undefined,
    });
    expect(clean.clean).toBe(true);
    expect(clean.counts).toMatchObject({ ledgerInternalTransfers: 2, statementDebits: 2 });

    const notPosted = reconcile(day, { ...base, payments: [...base.payments, i.payment], screeningDecisions: undefined });
    expect(notPosted.breaks).toEqual([
      expect.objectContaining({
        kind: BreakKinds.STATUS_MISMATCH,
        paymentId: 'int-2',
        detail: 'the payment is COMPLETED but the ledger has not posted it',
      }),
    ]);
  });

  it('a posting for a payment that is FAILED is STATUS_MISMATCH, reported once', () => {
    const a = rtgs(1);
    const base = sources();
    const report = reconcile(day, { ...base, payments: [{ ...a.payment, status: 'FAILED' }, ...base.payments.slice(1)] });
    expect(report.breaks).toEqual([
      expect.objectContaining({ kind: BreakKinds.STATUS_MISMATCH, paymentId: 'pay-1', paymentStatus: 'FAILED' }),
    ]);
  });

  it('a posting of another amount than the payment is AMOUNT_MISMATCH (ledger ↔ payment)', () => {
    const i = internal(1);
    const base = sources();
    const report = reconcile(day, {
      ...base,
      ledgerSettlements: [...base.ledgerSettlements.slice(0, 2), { ...i.posting, amountMinor: 499n }],
    });
    expect(report.breaks).toEqual([
      expect.objectContaining({ kind: BreakKinds.AMOUNT_MISMATCH, paymentId: 'int-1', ledgerAmountMinor: 499n, paymentAmountMinor: 500n }),
    ]);
  });

  it('the same UETR booked twice by the network is DUPLICATE_SETTLEMENT', () => {
    const a = rtgs(1);
    const report = reconcile(day, sources({ statement: [...sources().statement, a.booked] }));
    expect(report.breaks).toEqual([
      expect.objectContaining({ kind: BreakKinds.DUPLICATE_SETTLEMENT, paymentId: 'pay-1', statementAmountMinor: 20_000n }),
    ]);
  });

  it('credits of our account (incoming) are counted, not reconciled', () => {
    const incoming: StatementRecord = {
      uetr: 'eeeeeeee-0000-4000-8000-000000000000',
      amountMinor: 7n,
      currency: 'EUR',
      creditDebit: 'CRDT',
    };
    const report = reconcile(day, sources({ statement: [...sources().statement, incoming] }));
    expect(report).toMatchObject({ clean: true, counts: { statementCreditsNotReconciled: 1, statementDebits: 2 } });
  });

  it('a settlement and its posting either side of midnight are a timing difference, not a break', () => {
    const a = rtgs(1);
    const late = rtgs(9);
    const base = sources();
    // Settled on the day, posted the next day: the caller found the posting by UETR.
    const postedNextDay = reconcile(day, {
      ...base,
      statement: [...base.statement, late.booked],
      ledgerSettlements: [...base.ledgerSettlements, { ...late.posting, postedOn: '2025-03-15' }],
      payments: [...base.payments, { ...late.payment, terminalOn: '2025-03-15' }],
    });
    expect(postedNextDay).toMatchObject({
      clean: true,
      timingDifferences: [{ paymentId: 'pay-9', postedOn: '2025-03-15', settledOn: day }],
    });
    // Posted on the day, settled (per the network's pacs.002) the day before.
    const settledDayBefore = reconcile(day, {
      ...base,
      statement: [rtgs(2).booked],
      ledgerSettlements: [{ ...a.posting, networkSettlementDate: '2025-03-13' }, ...base.ledgerSettlements.slice(1)],
    });
    expect(settledDayBefore).toMatchObject({ clean: true, timingDifferences: [{ paymentId: 'pay-1', settledOn: '2025-03-13' }] });
  });
});

describe('business days', () => {
  it('are real UTC dates, and day D is due at the cut-off after it', () => {
    expect(isBusinessDate('2025-03-14')).toBe(true);
    expect(isBusinessDate('2025-02-30')).toBe(false);
    expect(isBusinessDate('20250314')).toBe(false);
    const cutOffMs = parseTimeOfDay('00:30')!;
    expect(dueBusinessDate(Date.parse('2025-03-15T00:29:59Z'), cutOffMs)).toBe('2025-03-13');
    expect(dueBusinessDate(Date.parse('2025-03-15T00:30:00Z'), cutOffMs)).toBe('2025-03-14');
    expect(dueBusinessDate(Date.parse('2025-03-15T23:59:00Z'), cutOffMs)).toBe('2025-03-14');
    expect(parseTimeOfDay('24:00')).toBeUndefined();
  });
});
