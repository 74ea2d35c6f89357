import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { SubmissionFacts, SubmissionState } from './domain/status-decision.ts';

/** A row of `rtgs_submissions` (see migrations.ts). */
export interface Submission extends SubmissionFacts {
  messageId: string;
  pacs008: string;
  correlationId: string;
  causeEventId: string | null;
  traceparent: string | null;
  submittedAt: Date;
  statusChecks: number;
}

export interface NewSubmission {
  uetr: string;
  paymentId: string;
  debtorAccount: string;
  messageId: string;
  amountMinor: bigint;
  currency: string;
  pacs008: string;
  correlationId: string;
  causeEventId: string | null;
  traceparent: string | null;
  submittedAt: Date;
  nextCheckAt: Date;
}

interface Row {
  uetr: string;
  payment_id: string;
  debtor_account: string;
  state: SubmissionState;
  message_id: string;
  pacs008: string;
  correlation_id: string;
  cause_event_id: string | null;
  traceparent: string | null;
  submitted_at: Date;
  status_checks: number;
}

const columns =
  'uetr, payment_id, debtor_account, state, message_id, pacs008, correlation_id, cause_event_id, traceparent, submitted_at, status_checks';

/** Inserts submissions (one statement); a UETR already there is left as it is. */
export async function insertSubmissions(tx: SqlRunner, submissions: readonly NewSubmission[]): Promise<void> {
  if (submissions.length === 0) return;
  const column = <T>(pick: (submission: NewSubmission) => T): T[] => submissions.map(pick);
  await tx.query(
    `insert into rtgs_submissions (uetr, payment_id, debtor_account, message_id, amount_minor, currency, state, pacs008, correlation_id, cause_event_id, traceparent, submitted_at, next_check_at)
     select uetr, payment_id, debtor_account, message_id, amount_minor, currency, 'submitted', pacs008, correlation_id, cause_event_id, traceparent, submitted_at, next_check_at
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[])
         as s(uetr, payment_id, debtor_account, message_id, amount_minor, currency, pacs008, correlation_id, cause_event_id, traceparent, submitted_at, next_check_at)
     on conflict (uetr) do nothing`,
    [
      column((s) => s.uetr),
      column((s) => s.paymentId),
      column((s) => s.debtorAccount),
      column((s) => s.messageId),
      column((s) => s.amountMinor.toString()),
      column((s) => s.currency),
      column((s) => s.pacs008),
      column((s) => s.correlationId),
      column((s) => s.causeEventId),
      column((s) => s.traceparent),
      column((s) => s.submittedAt.toISOString()),
      column((s) => s.nextCheckAt.toISOString()),
    ],
  );
}

/** The payment each of `uetrs` was submitted for, for those already submitted. */
export async function findSubmissions(runner: SqlRunner, uetrs: readonly string[]): Promise<Map<string, string>> {
  const result = await runner.query<{ uetr: string; payment_id: string }>(
    `select uetr, payment_id from rtgs_submissions where uetr = any($1::text[])`,
    [uetrs],
  );
  return new Map(result.rows.map((row) => [row.uetr, row.payment_id]));
}

/** The submissions of these UETRs, their rows locked until the transaction ends (UETR order). */
export async function lockSubmissions(tx: SqlRunner, uetrs: readonly string[]): Promise<Map<string, Submission>> {
  const result = await tx.query<Row>(`select ${columns} from rtgs_submissions where uetr = any($1::text[]) order by uetr for update`, [
    [...new Set(uetrs)].sort(),
  ]);
  return new Map(result.rows.map((row) => [row.uetr, submissionOf(row)]));
}

/**
 * Moves submissions from `submitted` to a final state, one statement for any number. Conditional,
 * so that of two deliveries of the same answer only the first changes anything: returns how many
 * changed.
 */
export async function recordDecisions(
  tx: SqlRunner,
  decisions: readonly {
    uetr: string;
    state: 'settled' | 'rejected';
    reasonCode: string | null;
    settlementDate: string | null;
    via: 'callback' | 'status-query' | 'submit-refused';
  }[],
  at: Date,
): Promise<number> {
  if (decisions.length === 0) return 0;
  const result = await tx.query(
    `update rtgs_submissions s set state = d.state, reason_code = d.reason_code, settlement_date = d.settlement_date, decided_via = d.via, decided_at = $6, next_check_at = null
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) as d (uetr, state, reason_code, settlement_date, via)
      where s.uetr = d.uetr and s.state = 'submitted'`,
    [
      decisions.map((d) => d.uetr),
      decisions.map((d) => d.state),
      decisions.map((d) => d.reasonCode),
      decisions.map((d) => d.settlementDate),
      decisions.map((d) => d.via),
      at,
    ],
  );
  return result.rowCount;
}

/** Submissions still waiting for an answer whose next status check is due, oldest first. */
export async function dueForStatusCheck(runner: SqlRunner, now: Date, limit: number): Promise<Submission[]> {
  const result = await runner.query<Row>(
    `select ${columns} from rtgs_submissions where state = 'submitted' and next_check_at <= $1 order by next_check_at limit $2`,
    [now, limit],
  );
  return result.rows.map(submissionOf);
}

export async function recordStatusCheck(runner: SqlRunner, uetr: string, checkedAt: Date, nextCheckAt: Date): Promise<void> {
  await runner.query(
    `update rtgs_submissions set status_checks = status_checks + 1, last_checked_at = $2, next_check_at = $3 where uetr = $1 and state = 'submitted'`,
    [uetr, checkedAt, nextCheckAt],
  );
}

/** How many submissions wait for an answer, and since when the oldest does. */
export async function awaitingAnswer(runner: SqlRunner): Promise<{ count: number; oldestSubmittedAt: Date | null }> {
  const result = await runner.query<{ count: bigint; oldest: Date | null }>(
    `select count(*) as count, min(submitted_at) as oldest from rtgs_submissions where state = 'submitted'`,
  );
  const row = result.rows[0];
  return { count: Number(row?.count ?? 0n), oldestSubmittedAt: row?.oldest ?? null };
}

function submissionOf(row: Row): Submission {
  return {
    uetr: row.uetr,
    paymentId: row.payment_id,
    debtorAccount: row.debtor_account,
    state: row.state,
    messageId: row.message_id,
    pacs008: row.pacs008,
    correlationId: row.correlation_id,
    causeEventId: row.cause_event_id,
    traceparent: row.traceparent,
    submittedAt: row.submitted_at,
    statusChecks: row.status_checks,
  };
}
