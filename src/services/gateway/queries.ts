import type { SqlRunner } from '../../backbone/storage/database.ts';
import { terminalStatuses } from '../../contracts/payment.ts';

/**
 * The gateway's public reads of its payments projection (`payments`), which only the gateway
 * writes (docs/ARCHITECTURE.md, "ADR: each table has one owning service"). Each runs in the
 * caller's `tx`, so a caller reading several services at REPEATABLE READ sees one snapshot; none
 * writes or locks.
 */

/** A payment as the gateway last projected it. */
export interface PaymentSnapshot {
  paymentId: string;
  uetr: string;
  status: string;
  amountMinor: bigint;
  currency: string;
  /** When the status last changed: for a terminal status, when the payment ended. */
  updatedAt: Date;
}

/** The payments that reached a terminal status in [`fromInclusive`, `toExclusive`), and those whose UETR is one of `uetrs`. */
export async function paymentsEndedBetween(
  tx: SqlRunner,
  fromInclusive: Date,
  toExclusive: Date,
  uetrs: readonly string[],
): Promise<PaymentSnapshot[]> {
  const found = await tx.query<PaymentRow>(
    `${paymentSelect} where (status = any($1::text[]) and updated_at >= $2 and updated_at < $3) or uetr = any($4::text[])`,
    [[...terminalStatuses], fromInclusive, toExclusive, [...uetrs]],
  );
  return found.rows.map(snapshotOf);
}

/** The payments among `paymentIds`; unknown ids are absent. */
export async function paymentsByIds(tx: SqlRunner, paymentIds: readonly string[]): Promise<PaymentSnapshot[]> {
  const found = await tx.query<PaymentRow>(`${paymentSelect} where payment_id = any($1::text[])`, [[...paymentIds]]);
  return found.rows.map(snapshotOf);
}

const paymentSelect = `select payment_id, uetr, status, amount_minor, currency, updated_at from payments`;

interface PaymentRow {
  payment_id: string;
  uetr: string;
  status: string;
  amount_minor: bigint;
  currency: string;
  updated_at: Date;
}

function snapshotOf(row: PaymentRow): PaymentSnapshot {
  return {
    paymentId: row.payment_id,
    uetr: row.uetr,
    status: row.status,
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    updatedAt: row.updated_at,
  };
}
