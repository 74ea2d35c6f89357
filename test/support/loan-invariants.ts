import { expect } from 'vitest';
import type { SqlRunner } from '../../src/backbone/storage/database.ts';
import { assertLedgerInvariants } from './ledger-invariants.ts';

/**
 * The loan approval's invariants, checked with SQL once every saga has ended (and the ledger's):
 * - no disbursement without APPROVED: each loan-disbursement entry is an APPROVED application's,
 *   and each APPROVED application has exactly one;
 * - every hold ends posted (APPROVED) or released (REJECTED), and none stays open;
 * - the exposure equals the sum of the approved loans, per currency, and its totals row agrees;
 * - the lending capacity's reserved and lent amounts equal the open holds and the disbursements;
 * - no compensation succeeded twice, and every saga ended COMPLETED or COMPENSATED;
 * - no KYC check or case waits for an officer once its application ended (one given up on is withdrawn).
 */
export async function assertLoanInvariants(db: SqlRunner): Promise<void> {
  await assertLedgerInvariants(db);
  const ended = await db.query<{ saga_id: string; status: string }>(
    `select saga_id, status from saga_instances where saga_type = 'loan-approval' and status not in ('COMPLETED', 'COMPENSATED')`,
  );
  expect(ended.rows, 'loan sagas that did not end APPROVED or REJECTED').toEqual([]);
  const undecided = await db.query(`select application_id, status from loan_applications where status = 'PENDING'`);
  expect(undecided.rows, 'applications still pending').toEqual([]);
  const mismatched = await db.query(
    `select a.application_id, a.status, s.status as saga_status from loan_applications a join saga_instances s using (saga_id)
      where (a.status = 'APPROVED') <> (s.status = 'COMPLETED')`,
  );
  expect(mismatched.rows, "applications whose status differs from their saga's").toEqual([]);
  const waiting = await db.query(
    `select k.application_id, k.status, c.status as case_status from loan_kyc_checks k
       join loan_applications a using (application_id) left join compliance_cases c using (case_id)
      where a.status <> 'PENDING' and (k.status = 'pending' or c.status = 'open')`,
  );
  expect(waiting.rows, 'KYC checks or cases still waiting for an officer after their application ended').toEqual([]);
  const disbursements = await db.query(
    `select coalesce(a.application_id, e.reference) as application_id, a.status, count(e.entry_id)::int as entries
       from loan_applications a
       full join (select * from ledger_journal_entries where kind = 'loan-disbursement') e on e.reference = a.application_id
      group by 1, 2
     having (a.status = 'APPROVED') is distinct from (count(e.entry_id) = 1) or count(e.entry_id) > 1`,
  );
  expect(disbursements.rows, 'disbursements without APPROVED, or APPROVED without exactly one').toEqual([]);
  const holds = await db.query(
    `select a.application_id, a.status, h.state from loan_applications a left join ledger_holds h on h.payment_id = 'loan:' || a.application_id
      where not ((a.status = 'APPROVED' and h.state = 'posted') or (a.status = 'REJECTED' and (h.state is null or h.state = 'released')))`,
  );
  expect(holds.rows, 'holds not posted for an approved loan or not released for a rejected one').toEqual([]);
  const exposure = await db.query(
    `select c.currency, c.approved, coalesce(x.recorded, 0) as recorded, coalesce(t.total_minor, 0) as total
       from (select currency, sum(amount_minor) as approved from loan_applications where status = 'APPROVED' group by currency) c
       full join (select currency, sum(amount_minor) as recorded from loan_exposures where state = 'recorded' group by currency) x using (currency)
       left join loan_exposure_totals t using (currency)
      where coalesce(c.approved, 0) <> coalesce(x.recorded, 0) or coalesce(x.recorded, 0) <> coalesce(t.total_minor, 0)`,
  );
  expect(exposure.rows, 'exposure different from the approved loans').toEqual([]);
  const capacity = await db.query(
    `select c.currency, c.reserved_minor, c.lent_minor,
            (select coalesce(sum(amount_minor), 0) from ledger_holds h where h.account_id = c.account_id and h.state = 'held') as held,
            (select coalesce(-sum(amount_minor), 0) from ledger_postings p where p.account_id = c.account_id) as lent
       from ledger_lending_capacity c
      where c.reserved_minor <> (select coalesce(sum(amount_minor), 0) from ledger_holds h where h.account_id = c.account_id and h.state = 'held')
         or c.lent_minor <> (select coalesce(-sum(amount_minor), 0) from ledger_postings p where p.account_id = c.account_id)
         or c.reserved_minor + c.lent_minor > c.capacity_minor`,
  );
  expect(capacity.rows, 'lending capacity different from its holds and disbursements, or exceeded').toEqual([]);
  const twice = await db.query(
    `select saga_id, step, count(*)::int as times from saga_history where event_type = 'CompensationSucceeded' group by saga_id, step having count(*) > 1`,
  );
  expect(twice.rows, 'compensations applied twice').toEqual([]);
}
