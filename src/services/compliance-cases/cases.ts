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
  amountMinor: bigint;
  currency: string;
}

/**
 * Opens a case in the caller's transaction (a consumer's batch). Returns false if the payment
 * already has a case at this stage: a redelivered event opens nothing twice.
 */
export async function openCase(tx: SqlRunner, input: NewCase): Promise<boolean> {
  const inserted = await tx.query(
    `insert into compliance_cases (case_id, payment_id, debtor_account, correlation_id, stage, reason, evidence, on_approve, amount_minor, currency)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (payment_id, stage) do nothing`,
    [input.caseId, input.paymentId, input.debtorAccount, input.correlationId, input.stage, input.reason, toJsonText(input.evidence), toJsonText(input.onApprove), input.amountMinor, input.currency],
  );
  return inserted.rowCount === 1;
}

/** JSON with bigints kept exact: `{"$bigint":"123"}`, read back by `fromJsonText`. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? { $bigint: item.toString() } : item));
}

export function fromJsonValue<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value), (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1 && typeof (item as { $bigint?: unknown }).$bigint === 'string'
      ? BigInt((item as { $bigint: string }).$bigint)
      : item,
  ) as T;
}
