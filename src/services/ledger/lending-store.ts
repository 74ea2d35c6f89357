import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { LendingCapacity, LoanHold } from './domain/lending.ts';
import { loanFundingAccount, loanHoldId } from './domain/lending.ts';

/**
 * The SQL of the ledger's loan commands, each inside the command's transaction. Locks are taken in
 * one order: the currency's capacity row, then the loan's hold, then the applicant's account (the
 * payments' order, holds before accounts, is kept).
 */

/**
 * The capacity row of `currency`, created with the bank's loan-funding account on first use and
 * set to the configured capacity (configuration wins: lowering it stops new reservations, never
 * undoes one), then locked until the transaction ends. Undefined when the bank does not lend in it.
 */
export async function lockLendingCapacity(
  tx: SqlRunner,
  currency: string,
  configuredMinor: bigint | undefined,
): Promise<LendingCapacity | undefined> {
  if (configuredMinor !== undefined) {
    await tx.query(
      `insert into ledger_accounts (account_id, kind, name, currency) values ($1, 'bank', 'Loan funding (lending capacity)', $2)
       on conflict (account_id) do nothing`,
      [loanFundingAccount(currency), currency],
    );
    await tx.query(
      `insert into ledger_lending_capacity (currency, account_id, capacity_minor) values ($1, $2, $3)
       on conflict (currency) do update set capacity_minor = excluded.capacity_minor where ledger_lending_capacity.capacity_minor <> excluded.capacity_minor`,
      [currency, loanFundingAccount(currency), configuredMinor],
    );
  }
  const found = await tx.query<{ capacity_minor: bigint; reserved_minor: bigint; lent_minor: bigint }>(
    `select capacity_minor, reserved_minor, lent_minor from ledger_lending_capacity where currency = $1 for update`,
    [currency],
  );
  const row = found.rows[0];
  if (!row || configuredMinor === undefined) return undefined;
  return {
    currency,
    capacityMinor: BigInt(row.capacity_minor),
    reservedMinor: BigInt(row.reserved_minor),
    lentMinor: BigInt(row.lent_minor),
  };
}

/** Moves the capacity row's reserved and lent amounts (locked by the caller). */
export async function moveLendingCapacity(
  tx: SqlRunner,
  currency: string,
  reservedDeltaMinor: bigint,
  lentDeltaMinor: bigint,
): Promise<void> {
  await tx.query(
    `update ledger_lending_capacity set reserved_minor = reserved_minor + $2, lent_minor = lent_minor + $3 where currency = $1`,
    [currency, reservedDeltaMinor, lentDeltaMinor],
  );
}

/** A loan's hold, locked until the transaction ends. */
export async function lockLoanHold(tx: SqlRunner, applicationId: string): Promise<LoanHold | undefined> {
  const found = await tx.query<{ amount_minor: bigint; state: LoanHold['state'] }>(
    `select amount_minor, state from ledger_holds where payment_id = $1 and route = 'LOAN' for update`,
    [loanHoldId(applicationId)],
  );
  const row = found.rows[0];
  return row && { amountMinor: BigInt(row.amount_minor), state: row.state };
}

/** Records a loan's hold on the loan-funding account, open or (a release that came first) released. */
export async function insertLoanHold(
  tx: SqlRunner,
  hold: { applicationId: string; amountMinor: bigint; currency: string; state: 'held' | 'released' },
): Promise<void> {
  await tx.query(
    `insert into ledger_holds (payment_id, account_id, amount_minor, currency, route, state, resolved_at)
     values ($1, $2, $3, $4, 'LOAN', $5, case when $5 = 'held' then null else now() end)`,
    [loanHoldId(hold.applicationId), loanFundingAccount(hold.currency), hold.amountMinor, hold.currency, hold.state],
  );
}

/** Ends a loan's open hold (locked by the caller). */
export async function resolveLoanHold(tx: SqlRunner, applicationId: string, state: 'posted' | 'released'): Promise<void> {
  await tx.query(`update ledger_holds set state = $2, resolved_at = now() where payment_id = $1 and state = 'held'`, [
    loanHoldId(applicationId),
    state,
  ]);
}

/** The answer given to a loan command before, if any. */
export async function loanCommandAnswer(tx: SqlRunner, commandId: string): Promise<{ ok: boolean; reason: string | null } | undefined> {
  const found = await tx.query<{ ok: boolean; reason: string | null }>(
    `select ok, reason from ledger_loan_commands where command_id = $1`,
    [commandId],
  );
  return found.rows[0];
}

export async function recordLoanCommandAnswer(tx: SqlRunner, commandId: string, ok: boolean, reason: string | null): Promise<void> {
  await tx.query(`insert into ledger_loan_commands (command_id, ok, reason) values ($1, $2, $3)`, [commandId, ok, reason]);
}
