import type { SqlRunner } from '../../backbone/storage/database.ts';
import { terminalStatuses, type SettlementRoute } from '../../contracts/payment.ts';
import { paymentsByIds, paymentsEndedBetween, type PaymentSnapshot } from '../gateway/queries.ts';
import { holdRoutes, paymentEntries } from '../ledger/queries.ts';
import { latestSubmissions } from '../rtgs/queries.ts';
import { businessDateOf, dayBounds } from './domain/business-day.ts';
import type { LedgerSettlement, PaymentRecord } from './domain/reconcile.ts';

/** Our side of a business day, read through the ledger's, the gateway's and the RTGS gateway's queries. */
export interface OurBooks {
  ledgerSettlements: LedgerSettlement[];
  payments: PaymentRecord[];
}

/**
 * Reads our side of `date` in `tx` (which the caller runs at REPEATABLE READ, so every query sees
 * one snapshot): the payments that became terminal that day and the journal entries posted that
 * day, and — to tell a timing difference from a break and to say what became of a payment — the
 * entries and payments of any day that the statement (`statementUetrs`) or the day's payments and
 * entries name. It reads the other services' tables only through their public queries
 * (`ledger/queries.ts`, `gateway/queries.ts`, `rtgs/queries.ts`), and writes nothing.
 */
export async function readOurBooks(tx: SqlRunner, date: string, statementUetrs: readonly string[]): Promise<OurBooks> {
  const { from, to } = dayBounds(date);
  const named = new Set(statementUetrs);
  const payments = new Map<string, PaymentSnapshot>();
  for (const payment of await paymentsEndedBetween(tx, from, to, statementUetrs)) payments.set(payment.paymentId, payment);
  const paymentsOfTheDay = new Set(payments.keys());
  // A statement may name a payment the gateway does not know, by the UETR it was submitted with.
  const submittedUnderNamedUetr = [...(await latestSubmissions(tx, [], statementUetrs)).keys()];
  const entries = await paymentEntries(tx, from, to, [...paymentsOfTheDay, ...submittedUnderNamedUetr]);
  const entryPaymentIds = [...new Set(entries.map((entry) => entry.paymentId))];
  const unknown = entryPaymentIds.filter((paymentId) => !payments.has(paymentId));
  if (unknown.length > 0) for (const payment of await paymentsByIds(tx, unknown)) payments.set(payment.paymentId, payment);
  const submissions = await latestSubmissions(tx, entryPaymentIds, []);
  const ledgerSettlements: LedgerSettlement[] = [];
  const reported = new Set(paymentsOfTheDay);
  for (const entry of entries) {
    const submission = submissions.get(entry.paymentId);
    const uetr = payments.get(entry.paymentId)?.uetr ?? submission?.uetr;
    const postedThatDay = entry.createdAt >= from && entry.createdAt < to;
    // The gateway's UETR wins over the submission's: a payment found by its submission's UETR counts only when the gateway has none other.
    if (!postedThatDay && !paymentsOfTheDay.has(entry.paymentId) && !(uetr !== undefined && named.has(uetr))) continue;
    if (payments.has(entry.paymentId)) reported.add(entry.paymentId);
    ledgerSettlements.push({
      paymentId: entry.paymentId,
      uetr,
      amountMinor: entry.amountMinor,
      currency: entry.currency,
      kind: entry.kind,
      postedOn: businessDateOf(entry.createdAt.getTime()),
      networkSettlementDate: submission?.settlementDate,
    });
  }
  const routes = await holdRoutes(tx, [...reported]);
  return { ledgerSettlements, payments: [...reported].map((paymentId) => paymentRecord(payments.get(paymentId)!, routes)) };
}

function paymentRecord(payment: PaymentSnapshot, routes: ReadonlyMap<string, SettlementRoute>): PaymentRecord {
  const terminal = terminalStatuses.has(payment.status as never);
  return {
    paymentId: payment.paymentId,
    uetr: payment.uetr,
    status: payment.status,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    route: routes.get(payment.paymentId),
    terminalOn: terminal ? businessDateOf(payment.updatedAt.getTime()) : undefined,
  };
}
