import { uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import type { SqlRunner } from '../../src/backbone/storage/database.ts';
import type { LoanSagaData } from '../../src/contracts/loans.ts';
import { bankAccounts, depositPostings } from '../../src/services/ledger/index.ts';
import { openAccount, postEntry } from '../../src/services/ledger/ledger-store.ts';

/** A loan applicant and what they ask for, for tests that start the saga without the HTTP API. */
export interface TestLoanApplication {
  applicationId: string;
  sagaId: string;
  /** The applicant's EUR account, opened here with a deposit of 3000.00. */
  account: string;
  name: string;
  amountMinor: bigint;
  declaredMonthlyIncomeMinor: bigint;
  /** Whose API key applied (the `api_key_id` column). */
  apiKeyId: string;
}

/**
 * Opens the applicant's account with 3000.00 deposited and records the application (24 months,
 * declared debts 300.00) in `tx`, as `POST /v1/loan-applications` would; returns the saga's data,
 * for `orchestrator.start(sagaId, data, tx)` in the same transaction.
 */
export async function insertLoanApplication(tx: SqlRunner, application: TestLoanApplication): Promise<LoanSagaData> {
  const { applicationId, sagaId, account, name, amountMinor } = application;
  await openAccount(tx, { accountId: account, name, currency: 'EUR', overdraftLimitMinor: 0n });
  await postEntry(tx, {
    entryId: uuidV7Ids.eventId(),
    kind: 'deposit',
    paymentId: null,
    reference: `deposit-${applicationId}`,
    currency: 'EUR',
    postings: depositPostings(bankAccounts.funding('EUR'), account, 300_000n),
  });
  await tx.query(
    `insert into loan_applications (application_id, saga_id, api_key_id, idempotency_key, request_sha256, applicant, account, amount_minor,
       currency, term_months, monthly_income_minor, monthly_debts_minor, created_at)
     values ($1, $2, $3, $1, 'sha', $4, $5, $6, 'EUR', 24, $7, 30000, now())`,
    [
      applicationId,
      sagaId,
      application.apiKeyId,
      JSON.stringify({ name, dateOfBirth: '1985-04-12', country: 'DE', postalAddress: { townName: 'Berlin', country: 'DE' }, account }),
      account,
      amountMinor,
      application.declaredMonthlyIncomeMinor,
    ],
  );
  return { applicationId, account, amountMinor, currency: 'EUR' };
}
