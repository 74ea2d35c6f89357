import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { ScoreReason } from '../../contracts/events.ts';
import {
  emptyAccountRiskState,
  type AccountRiskState,
  type FraudDecision,
  type RecentPayment,
  type VelocityHistory,
} from './domain/rules.ts';

/** A recent payment as stored in jsonb: the amount as a decimal string, since JSON has no bigint. */
interface StoredRecentPayment {
  paymentId: string;
  atMs: number;
  amountMinor: string;
  currency: string;
  decision: FraudDecision;
}

/**
 * Locks the accounts' risk state rows for the rest of the transaction (account order) and returns
 * their states (empty for an account never scored). Missing rows are created first, so two
 * transactions racing on a new account serialise on it instead of both starting from empty.
 */
export async function lockAccountStates(tx: SqlRunner, debtorAccounts: readonly string[]): Promise<Map<string, AccountRiskState>> {
  const accounts = [...new Set(debtorAccounts)].sort();
  await tx.query(
    `insert into fraud_account_state (debtor_account) select unnest($1::text[]) order by 1 on conflict (debtor_account) do nothing`,
    [accounts],
  );
  const result = await tx.query<{
    debtor_account: string;
    recent_payments: StoredRecentPayment[];
    known_beneficiaries: string[];
    velocity_history: VelocityHistory;
  }>(
    `select debtor_account, recent_payments, known_beneficiaries, velocity_history from fraud_account_state where debtor_account = any($1::text[]) order by debtor_account for update`,
    [accounts],
  );
  const states = new Map<string, AccountRiskState>(accounts.map((account) => [account, emptyAccountRiskState]));
  for (const row of result.rows) {
    states.set(row.debtor_account, {
      recentPayments: row.recent_payments.map((stored) => ({ ...stored, amountMinor: BigInt(stored.amountMinor) })),
      knownBeneficiaries: row.known_beneficiaries,
      velocityHistory: row.velocity_history,
    });
  }
  return states;
}

/** Writes the states of accounts locked by `lockAccountStates` in the same transaction (one statement). */
export async function saveAccountStates(tx: SqlRunner, states: ReadonlyMap<string, AccountRiskState>): Promise<void> {
  if (states.size === 0) return;
  const rows = [...states].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const stored = (state: AccountRiskState) =>
    JSON.stringify(
      state.recentPayments.map((payment: RecentPayment): StoredRecentPayment => ({
        ...payment,
        amountMinor: payment.amountMinor.toString(),
      })),
    );
  await tx.query(
    `update fraud_account_state f set recent_payments = s.recent_payments::jsonb, known_beneficiaries = s.known_beneficiaries::jsonb, velocity_history = s.velocity_history::jsonb, updated_at = now()
       from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as s (debtor_account, recent_payments, known_beneficiaries, velocity_history)
      where f.debtor_account = s.debtor_account`,
    [
      rows.map(([account]) => account),
      rows.map(([, state]) => stored(state)),
      rows.map(([, state]) => JSON.stringify(state.knownBeneficiaries)),
      rows.map(([, state]) => JSON.stringify(state.velocityHistory)),
    ],
  );
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

/** Which of these payments were scored before (by an earlier delivery of their event, or a duplicate event). */
export async function scoredPayments(tx: SqlRunner, paymentIds: readonly string[]): Promise<Set<string>> {
  const result = await tx.query<{ payment_id: string }>(`select payment_id from fraud_scores where payment_id = any($1::text[])`, [
    paymentIds,
  ]);
  return new Set(result.rows.map((row) => row.payment_id));
}

export async function recordScores(tx: SqlRunner, records: readonly ScoreRecord[]): Promise<void> {
  if (records.length === 0) return;
  const column = <T>(pick: (record: ScoreRecord) => T): T[] => records.map(pick);
  await tx.query(
    `insert into fraud_scores (payment_id, debtor_account, event_id, score, decision, reasons, case_id, scored_at)
     select payment_id, debtor_account, event_id, score, decision, reasons::jsonb, case_id, scored_at
       from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
         as r (payment_id, debtor_account, event_id, score, decision, reasons, case_id, scored_at)`,
    [
      column((r) => r.paymentId),
      column((r) => r.debtorAccount),
      column((r) => r.eventId),
      column((r) => r.score),
      column((r) => r.decision),
      column((r) => JSON.stringify(r.reasons)),
      column((r) => r.caseId),
      column((r) => r.scoredAt),
    ],
  );
}
