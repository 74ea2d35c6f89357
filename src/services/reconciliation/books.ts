import type { SqlRunner } from '../../backbone/storage/database.ts';
import { terminalStatuses, type SettlementRoute } from '../../contracts/payment.ts';
import { businessDateOf, dayBounds } from './domain/business-day.ts';
import type { LedgerSettlement, PaymentRecord } from './domain/reconcile.ts';

/** Our side of a business day, read from the ledger's and the gateway's tables. */
export interface OurBooks {
  ledgerSettlements: LedgerSettlement[];
  payments: PaymentRecord[];
}

/**
 * Reads our side of `date` in `tx` (which the caller runs at REPEATABLE READ, so every query sees
 * one snapshot): the payments that became terminal that day and the journal entries posted that
 * day, and — to tell a timing difference from a break and to say what became of a payment — the
 * entries and payments of any day that the statement (`statementUetrs`) or the day's payments and
 * entries name. Reads the ledger's, the gateway's and the RTGS gateway's tables, which share one
 * database (docs/payments.md); it writes nothing.
 */
export async function readOurBooks(tx: SqlRunner, date: string, statementUetrs: readonly string[]): Promise<OurBooks> {
  const { from, to } = dayBounds(date);
  const payments = new Map<string, PaymentRecord>();
  const addPayments = (rows: PaymentRow[]) => {
    for (const row of rows) payments.set(row.payment_id, paymentRecord(row));
  };
  addPayments(
    (
      await tx.query<PaymentRow>(
        `${paymentSelect} where (p.status = any($1::text[]) and p.updated_at >= $2 and p.updated_at < $3) or p.uetr = any($4::text[])`,
        [[...terminalStatuses], from, to, [...statementUetrs]],
      )
    ).rows,
  );
  const entries = await tx.query<EntryRow>(
    `select e.payment_id, e.kind, e.currency, e.created_at,
            coalesce(p.uetr, s.uetr) as uetr, s.settlement_date,
            (select coalesce(sum(lp.amount_minor), 0) from ledger_postings lp where lp.entry_id = e.entry_id and lp.amount_minor > 0)::bigint as amount_minor
       from ledger_journal_entries e
       left join payments p on p.payment_id = e.payment_id
       left join lateral (select uetr, settlement_date from rtgs_submissions where payment_id = e.payment_id order by submitted_at desc limit 1) s on true
      where e.kind in ('settlement', 'internal-transfer')
        and ((e.created_at >= $1 and e.created_at < $2) or e.payment_id = any($3::text[]) or coalesce(p.uetr, s.uetr) = any($4::text[]))`,
    [from, to, [...payments.keys()], [...statementUetrs]],
  );
  const unknown = entries.rows.map((row) => row.payment_id).filter((paymentId) => !payments.has(paymentId));
  if (unknown.length > 0) addPayments((await tx.query<PaymentRow>(`${paymentSelect} where p.payment_id = any($1::text[])`, [unknown])).rows);
  return {
    ledgerSettlements: entries.rows.map((row) => ({
      paymentId: row.payment_id,
      uetr: row.uetr ?? undefined,
      amountMinor: BigInt(row.amount_minor),
      currency: row.currency,
      kind: row.kind,
      postedOn: businessDateOf(row.created_at.getTime()),
      networkSettlementDate: row.settlement_date ?? undefined,
    })),
    payments: [...payments.values()],
  };
}

const paymentSelect = `select p.payment_id, p.uetr, p.status, p.amount_minor, p.currency, p.updated_at, h.route from payments p left join ledger_holds h on h.payment_id = p.payment_id`;

interface PaymentRow {
  payment_id: string;
  uetr: string;
  status: string;
  amount_minor: bigint;
  currency: string;
  updated_at: Date;
  route: SettlementRoute | null;
}

interface EntryRow {
  payment_id: string;
  kind: 'settlement' | 'internal-transfer';
  currency: string;
  created_at: Date;
  uetr: string | null;
  settlement_date: string | null;
  amount_minor: bigint | string;
}

function paymentRecord(row: PaymentRow): PaymentRecord {
  const terminal = terminalStatuses.has(row.status as never);
  return {
    paymentId: row.payment_id,
    uetr: row.uetr,
    status: row.status,
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    route: row.route ?? undefined,
    terminalOn: terminal ? businessDateOf(row.updated_at.getTime()) : undefined,
  };
}
