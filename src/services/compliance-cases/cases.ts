import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { NewEvent } from '../../backbone/envelope/event-encoder.ts';

export type CaseStage = 'SCREENING' | 'FRAUD';

export interface NewCase {
  caseId: string;
  paymentId: string;
  debtorAccount: string;
  correlationId: string;
  stage: CaseStage;
  reason: string;
  /** What the officer needs to decide: matches, scores, list versions. JSON-safe (bigints as strings). */
  evidence: unknown;
  /** The event that releases the payment on approval (e.g. `payments.initiated.v1`). */
  onApprove: NewEvent;
  /**
   * The event that ends the case's subject on rejection, for a case that is not a payment's (a
   * loan applicant's KYC, whose id is the application's); a payment's case publishes
   * `payments.rejected.v1` instead.
   */
  onReject?: NewEvent;
  amountMinor: bigint;
  currency: string;
}

/**
 * Opens a case in the caller's transaction (a consumer's batch). Returns false if the payment
 * already has a case at this stage: a redelivered event opens nothing twice.
 */
export async function openCase(tx: SqlRunner, input: NewCase): Promise<boolean> {
  const inserted = await tx.query(
    `insert into compliance_cases (case_id, payment_id, debtor_account, correlation_id, stage, reason, evidence, on_approve, amount_minor, currency, on_reject)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (payment_id, stage) do nothing`,
    [
      input.caseId,
      input.paymentId,
      input.debtorAccount,
      input.correlationId,
      input.stage,
      input.reason,
      toJsonText(input.evidence),
      toJsonText(input.onApprove),
      input.amountMinor,
      input.currency,
      input.onReject === undefined ? null : toJsonText(input.onReject),
    ],
  );
  return inserted.rowCount === 1;
}

/** Who withdraws a case, and why: recorded as its `decided_by` and `decision_reason`. */
export interface CaseWithdrawal {
  caseId: string;
  /** The system that withdrew it (e.g. `loan-approval saga`), never an officer's key. */
  withdrawnBy: string;
  /** For officers: why its subject ended (no personal data). */
  reason: string;
  atMs: number;
}

/**
 * Withdraws an open case whose subject ended before an officer decided (a loan application whose
 * saga gave up waiting), in the caller's transaction: the case leaves the queue, its row says when,
 * by whom and why, and an officer's later decision is refused (`case-withdrawn`). It publishes
 * nothing: the subject has ended already, so there is nothing to release or reject. Returns false
 * if the case was not open (decided first: the officer's decision stands, and reaches a subject
 * that has ended).
 */
export async function withdrawCase(tx: SqlRunner, withdrawal: CaseWithdrawal): Promise<boolean> {
  const updated = await tx.query(
    `update compliance_cases set status = 'withdrawn', decided_at = $2, decided_by = $3, decision_reason = $4
      where case_id = $1 and status = 'open'`,
    [withdrawal.caseId, new Date(withdrawal.atMs), withdrawal.withdrawnBy, withdrawal.reason],
  );
  return updated.rowCount === 1;
}

export type AccountCaseOutcome = { kind: 'opened' | 'attached'; caseId: string } | { kind: 'exists' };

/**
 * Holds a payment in its account's open case at this stage, or opens one: an account has at most
 * one open case per stage opened this way (fraud scoring), so a burst of held payments is one
 * case that an officer decides once, with every payment of it listed. The open case's row is
 * locked (`for update`), so an officer's decision that commits first is seen and a new case is
 * opened instead of attaching to a decided one; the decision, in turn, reads the attached
 * payments after locking the row, so it never misses one. The caller must serialise an
 * account's holds (fraud scoring holds the account's risk-state row lock).
 *
 * `onApprove` is given the case's id (the new or the open one). `exists`: the payment is in a case already (a redelivered event); nothing is written.
 */
export async function openOrAttachToAccountCase(
  tx: SqlRunner,
  input: Omit<NewCase, 'onApprove'> & { onApprove: (caseId: string) => NewEvent },
): Promise<AccountCaseOutcome> {
  const held = await tx.query(
    `select 1 from compliance_cases where payment_id = $1 and stage = $2
     union all select 1 from compliance_case_payments a join compliance_cases c using (case_id) where a.payment_id = $1 and c.stage = $2`,
    [input.paymentId, input.stage],
  );
  if (held.rows.length > 0) return { kind: 'exists' };
  const open = await tx.query<{ case_id: string }>(
    `select case_id from compliance_cases where debtor_account = $1 and stage = $2 and status = 'open' order by opened_at, case_id limit 1 for update`,
    [input.debtorAccount, input.stage],
  );
  const caseId = open.rows[0]?.case_id;
  if (caseId === undefined)
    return (await openCase(tx, { ...input, onApprove: input.onApprove(input.caseId) }))
      ? { kind: 'opened', caseId: input.caseId }
      : { kind: 'exists' };
  await tx.query(
    `insert into compliance_case_payments (payment_id, case_id, correlation_id, reason, evidence, on_approve, amount_minor, currency)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      input.paymentId,
      caseId,
      input.correlationId,
      input.reason,
      toJsonText(input.evidence),
      toJsonText(input.onApprove(caseId)),
      input.amountMinor,
      input.currency,
    ],
  );
  return { kind: 'attached', caseId };
}

/** JSON with bigints kept exact: `{"$bigint":"123"}`, read back by `fromJsonText`. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? { $bigint: item.toString() } : item));
}

export function fromJsonValue<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value), (_key, item: unknown) =>
    item &&
    typeof item === 'object' &&
    !Array.isArray(item) &&
    Object.keys(item).length === 1 &&
    typeof (item as { $bigint?: unknown }).$bigint === 'string'
      ? BigInt((item as { $bigint: string }).$bigint)
      : item,
  ) as T;
}
