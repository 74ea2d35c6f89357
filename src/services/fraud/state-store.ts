import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { ScoreReason } from '../../contracts/events.ts';
import { emptyAccountRiskState, type AccountRiskState, type FraudDecision, type RecentPayment } from './domain/rules.ts';

/** A recent payment as stored in jsonb: the amount as a decimal string, since JSON has no bigint. */
interface StoredRecentPayment {
  paymentId: string;
  atMs: number;
  amountMinor: string;
  currency: string;
  decision: FraudDecision;
}

/**
 * Locks the account's risk state row for the rest of the transaction and returns the state (empty
 * for an account never scored). The row is created first if missing, so two transactions racing
 * on a new account serialise on it instead of both starting from empty.
 */
export async function lockAccountState(tx: SqlRunner, debtorAccount: string): Promise<AccountRiskState> {
  await tx.query(`insert into fraud_account_state (debtor_account) values ($1) on conflict (debtor_account) do nothing`, [debtorAccount]);
  const result = await tx.query<{ recent_payments: StoredRecentPayment[]; known_beneficiaries: string[] }>(
    `select recent_payments, known_beneficiaries from fraud_account_state where debtor_account = $1 for update`,
    [debtorAccount],
  );
  const row = result.rows[0];
  if (!row) return emptyAccountRiskState;
  return {
    recentPayments: row.recent_payments.map((stored) => ({ ...stored, amountMinor: BigInt(stored.amountMinor) })),
    knownBeneficiaries: row.known_beneficiaries,
  };
}

/** Writes the state of an account locked by `lockAccountState` in the same transaction. */
export async function saveAccountState(tx: SqlRunner, debtorAccount: string, state: AccountRiskState): Promise<void> {
  const recent: StoredRecentPayment[] = state.recentPayments.map((payment: RecentPayment) => ({ ...payment, amountMinor: payment.amountMinor.toString() }));
  await tx.query(`update fraud_account_state set recent_payments = $2::jsonb, known_beneficiaries = $3::jsonb, updated_at = now() where debtor_account = $1`, [
    debtorAccount,
    JSON.stringify(recent),
    JSON.stringify(state.knownBeneficiaries),
  ]);
}

export interface ScoreRecord {
  paymentId: string;
  debtorAccount: string;
  eventId: string;
  score: number;
  decision: FraudDecision;
  reasons: readonly ScoreReason[];
  caseId: string | null;
  scoredAt: string;
}

/** Whether the payment was scored before (by an earlier delivery of its event, or a duplicate event). */
export async function wasScored(tx: SqlRunner, paymentId: string): Promise<boolean> {
  const result = await tx.query(`select 1 from fraud_scores where payment_id = $1`, [paymentId]);
  return result.rows.length > 0;
}

export async function recordScore(tx: SqlRunner, record: ScoreRecord): Promise<void> {
  await tx.query(
    `insert into fraud_scores (payment_id, debtor_account, event_id, score, decision, reasons, case_id, scored_at) values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
    [record.paymentId, record.debtorAccount, record.eventId, record.score, record.decision, JSON.stringify(record.reasons), record.caseId, record.scoredAt],
  );
}
