import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { SagaCommandMessage } from '../../backbone/saga/index.ts';
import type { LoanRequestBody } from './domain/loan-request.ts';
import type { LoanApplicationStatus } from './domain/customer-view.ts';
import type { ScoreReason } from './domain/scorecard.ts';

/** The SQL on the loans service's own tables, each function inside its caller's transaction. */

export interface LoanApplicationRow {
  applicationId: string;
  sagaId: string;
  apiKeyId: string;
  requestSha256: string;
  applicant: LoanRequestBody['applicant'];
  account: string;
  amountMinor: bigint;
  currency: string;
  termMonths: number;
  monthlyIncomeMinor: bigint;
  monthlyDebtsMinor: bigint;
  status: LoanApplicationStatus;
  reasonCode: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}

interface RawApplication {
  application_id: string;
  saga_id: string;
  api_key_id: string;
  request_sha256: string;
  applicant: LoanRequestBody['applicant'] | string;
  account: string;
  amount_minor: bigint;
  currency: string;
  term_months: number;
  monthly_income_minor: bigint;
  monthly_debts_minor: bigint;
  status: LoanApplicationStatus;
  reason_code: string | null;
  created_at: Date;
  decided_at: Date | null;
}

const columns = `application_id, saga_id, api_key_id, request_sha256, applicant, account, amount_minor, currency, term_months,
  monthly_income_minor, monthly_debts_minor, status, reason_code, created_at, decided_at`;

function toApplication(row: RawApplication): LoanApplicationRow {
  return {
    applicationId: row.application_id,
    sagaId: row.saga_id,
    apiKeyId: row.api_key_id,
    requestSha256: row.request_sha256,
    applicant: typeof row.applicant === 'string' ? (JSON.parse(row.applicant) as LoanRequestBody['applicant']) : row.applicant,
    account: row.account,
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    termMonths: row.term_months,
    monthlyIncomeMinor: BigInt(row.monthly_income_minor),
    monthlyDebtsMinor: BigInt(row.monthly_debts_minor),
    status: row.status,
    reasonCode: row.reason_code,
    createdAt: row.created_at,
    decidedAt: row.decided_at,
  };
}

export type NewLoanApplication = Omit<LoanApplicationRow, 'status' | 'reasonCode' | 'decidedAt'> & { idempotencyKey: string };

/**
 * Records an application, unless the key already made one with this Idempotency-Key: then the
 * existing one is returned (the caller compares the request's digest).
 */
export async function insertApplication(
  tx: SqlRunner,
  application: NewLoanApplication,
): Promise<{ inserted: true } | { inserted: false; existing: LoanApplicationRow }> {
  const inserted = await tx.query(
    `insert into loan_applications (application_id, saga_id, api_key_id, idempotency_key, request_sha256, applicant, account, amount_minor,
       currency, term_months, monthly_income_minor, monthly_debts_minor, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) on conflict (api_key_id, idempotency_key) do nothing`,
    [
      application.applicationId,
      application.sagaId,
      application.apiKeyId,
      application.idempotencyKey,
      application.requestSha256,
      JSON.stringify(application.applicant),
      application.account,
      application.amountMinor,
      application.currency,
      application.termMonths,
      application.monthlyIncomeMinor,
      application.monthlyDebtsMinor,
      application.createdAt,
    ],
  );
  if (inserted.rowCount === 1) return { inserted: true };
  const found = await tx.query<RawApplication>(`select ${columns} from loan_applications where api_key_id = $1 and idempotency_key = $2`, [
    application.apiKeyId,
    application.idempotencyKey,
  ]);
  return { inserted: false, existing: toApplication(found.rows[0]!) };
}

export async function findApplication(tx: SqlRunner, applicationId: string): Promise<LoanApplicationRow | undefined> {
  const found = await tx.query<RawApplication>(`select ${columns} from loan_applications where application_id = $1`, [applicationId]);
  return found.rows[0] && toApplication(found.rows[0]);
}

export async function findApplicationBySaga(tx: SqlRunner, sagaId: string): Promise<LoanApplicationRow | undefined> {
  const found = await tx.query<RawApplication>(`select ${columns} from loan_applications where saga_id = $1 for update`, [sagaId]);
  return found.rows[0] && toApplication(found.rows[0]);
}

/** Ends an application (once: a decided application stays decided). Returns whether it changed. */
export async function decideApplication(
  tx: SqlRunner,
  applicationId: string,
  status: Exclude<LoanApplicationStatus, 'PENDING'>,
  reasonCode: string | null,
  decidedAt: Date,
): Promise<boolean> {
  const updated = await tx.query(
    `update loan_applications set status = $2, reason_code = $3, decided_at = $4 where application_id = $1 and status = 'PENDING'`,
    [applicationId, status, reasonCode, decidedAt],
  );
  return updated.rowCount === 1;
}

export async function recordCreditScore(
  tx: SqlRunner,
  applicationId: string,
  score: number,
  reasons: readonly ScoreReason[],
): Promise<void> {
  await tx.query(`update loan_applications set credit_score = $2, credit_reasons = $3 where application_id = $1`, [
    applicationId,
    score,
    JSON.stringify(reasons),
  ]);
}

/** The answer given to a command before, if any. */
export async function commandAnswer(tx: SqlRunner, commandId: string): Promise<{ ok: boolean; reason: string | null } | undefined> {
  const found = await tx.query<{ ok: boolean; reason: string | null }>(
    `select ok, reason from loan_command_answers where command_id = $1`,
    [commandId],
  );
  return found.rows[0];
}

export async function recordCommandAnswer(tx: SqlRunner, commandId: string, ok: boolean, reason: string | null): Promise<void> {
  await tx.query(`insert into loan_command_answers (command_id, ok, reason) values ($1, $2, $3)`, [commandId, ok, reason]);
}

export interface KycCheck {
  /** The KYC command to answer; null for a check withdrawn before any KYC command arrived. */
  command: SagaCommandMessage | null;
  status: 'pending' | 'passed' | 'refused' | 'withdrawn';
  caseId: string | null;
  reason: string | null;
}

/** The KYC check of an application, locked until the transaction ends. */
export async function lockKycCheck(tx: SqlRunner, applicationId: string): Promise<KycCheck | undefined> {
  const found = await tx.query<{ command: unknown; status: KycCheck['status']; case_id: string | null; reason: string | null }>(
    `select command, status, case_id, reason from loan_kyc_checks where application_id = $1 for update`,
    [applicationId],
  );
  const row = found.rows[0];
  return (
    row && {
      command: row.command === null ? null : commandFromJson(row.command),
      status: row.status,
      caseId: row.case_id,
      reason: row.reason,
    }
  );
}

export async function insertKycCheck(tx: SqlRunner, applicationId: string, check: KycCheck): Promise<void> {
  await tx.query(`insert into loan_kyc_checks (application_id, command, status, case_id, reason) values ($1, $2, $3, $4, $5)`, [
    applicationId,
    check.command === null ? null : commandToJson(check.command),
    check.status,
    check.caseId,
    check.reason,
  ]);
}

export async function resolveKycCheck(
  tx: SqlRunner,
  applicationId: string,
  status: 'passed' | 'refused' | 'withdrawn',
  reason: string | null,
): Promise<void> {
  await tx.query(
    `update loan_kyc_checks set status = $2, reason = $3, checked_at = now() where application_id = $1 and status = 'pending'`,
    [applicationId, status, reason],
  );
}

/** The currency's exposure total, created at zero on first use, locked until the transaction ends. */
export async function lockExposureTotal(tx: SqlRunner, currency: string): Promise<bigint> {
  await tx.query(`insert into loan_exposure_totals (currency) values ($1) on conflict (currency) do nothing`, [currency]);
  const found = await tx.query<{ total_minor: bigint }>(`select total_minor from loan_exposure_totals where currency = $1 for update`, [
    currency,
  ]);
  return BigInt(found.rows[0]!.total_minor);
}

export async function moveExposureTotal(tx: SqlRunner, currency: string, deltaMinor: bigint): Promise<void> {
  await tx.query(`update loan_exposure_totals set total_minor = total_minor + $2 where currency = $1`, [currency, deltaMinor]);
}

/** The account's recorded exposure in a currency (read under the totals row's lock). */
export async function customerExposure(tx: SqlRunner, account: string, currency: string): Promise<bigint> {
  const found = await tx.query<{ total: bigint | null }>(
    `select coalesce(sum(amount_minor), 0)::bigint as total from loan_exposures where account = $1 and currency = $2 and state = 'recorded'`,
    [account, currency],
  );
  return BigInt(found.rows[0]?.total ?? 0n);
}

export async function findExposure(
  tx: SqlRunner,
  applicationId: string,
): Promise<{ amountMinor: bigint; state: 'recorded' | 'reverted' } | undefined> {
  const found = await tx.query<{ amount_minor: bigint; state: 'recorded' | 'reverted' }>(
    `select amount_minor, state from loan_exposures where application_id = $1`,
    [applicationId],
  );
  const row = found.rows[0];
  return row && { amountMinor: BigInt(row.amount_minor), state: row.state };
}

export async function insertExposure(
  tx: SqlRunner,
  exposure: { applicationId: string; account: string; amountMinor: bigint; currency: string; state: 'recorded' | 'reverted' },
): Promise<void> {
  await tx.query(`insert into loan_exposures (application_id, account, amount_minor, currency, state) values ($1, $2, $3, $4, $5)`, [
    exposure.applicationId,
    exposure.account,
    exposure.amountMinor,
    exposure.currency,
    exposure.state,
  ]);
}

export async function revertExposure(tx: SqlRunner, applicationId: string): Promise<void> {
  await tx.query(`update loan_exposures set state = 'reverted' where application_id = $1 and state = 'recorded'`, [applicationId]);
}

/** A command as JSON with exact bigints, as the saga stores its data. */
function commandToJson(command: SagaCommandMessage): string {
  return JSON.stringify(command, (_key, item: unknown) => (typeof item === 'bigint' ? { $bigint: item.toString() } : item));
}

function commandFromJson(value: unknown): SagaCommandMessage {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.parse(text, (_key, item: unknown) =>
    item && typeof item === 'object' && '$bigint' in item && typeof item.$bigint === 'string' ? BigInt(item.$bigint) : item,
  ) as SagaCommandMessage;
}
