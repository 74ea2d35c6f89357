// Our side of a business day, read through the ledger's, the gateway's and the RTGS gateway's
// read modules: the same books as the single three-service join they replaced gave, on rows seeded
// as those services write them (PGlite in memory).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../../backbone/storage-pglite/pglite-database.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { ledgerMigrations } from '../ledger/migrations.ts';
import { gatewayMigrations } from '../gateway/migrations.ts';
import { rtgsMigrations } from '../rtgs/migrations.ts';
import { readOurBooks } from './books.ts';

describe("reconciliation's books, read through each owner's queries", () => {
  let db: PgliteDatabase;
  const date = '2025-04-02';
  const at = (day: string) => new Date(`${day}T10:00:00Z`);

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    for (const [scope, migrations] of [
      ['ledger', ledgerMigrations],
      ['gateway', gatewayMigrations],
      ['rtgs', rtgsMigrations],
    ] as const)
      await migrate(db, scope, migrations);
    await db.query(
      `insert into ledger_accounts (account_id, kind, name, currency, overdraft_limit_minor) values ('DEBTOR', 'customer', 'Debtor', 'EUR', 0)`,
    );
    await db.query(
      `insert into ledger_accounts (account_id, kind, name, currency) values ('BANK-RTGS-SETTLEMENT-EUR', 'bank', 'RTGS settlement', 'EUR')`,
    );
  });
  afterAll(async () => {
    await db?.close();
  });

  interface Seed {
    paymentId: string;
    uetr: string;
    /** The gateway's projection, when the gateway knows the payment. */
    gateway?: { status: string; updatedOn: string };
    /** The RTGS submission, when there was one. */
    submittedOn?: string;
    /** The day the settlement was posted. */
    postedOn: string;
    amountMinor: bigint;
  }

  async function seed(payment: Seed): Promise<void> {
    await db.transaction(async (tx) => {
      if (payment.gateway) {
        await tx.query(
          `insert into payments (payment_id, uetr, correlation_id, api_key_id, debtor_account, amount_minor, currency, payment_order, status, status_rank, received_at, updated_at)
           values ($1, $2, 'c', 'key', 'DEBTOR', $3, 'EUR', '{}'::jsonb, $4, 9, $5, $5)`,
          [payment.paymentId, payment.uetr, payment.amountMinor, payment.gateway.status, at(payment.gateway.updatedOn)],
        );
      }
      await tx.query(
        `insert into ledger_holds (payment_id, account_id, amount_minor, currency, route, state, created_at) values ($1, 'DEBTOR', $2, 'EUR', 'RTGS', 'posted', $3)`,
        [payment.paymentId, payment.amountMinor, at(payment.postedOn)],
      );
      if (payment.submittedOn) {
        await tx.query(
          `insert into rtgs_submissions (uetr, payment_id, debtor_account, message_id, amount_minor, currency, state, settlement_date, pacs008, correlation_id, submitted_at, decided_at)
           values ($1, $2, 'DEBTOR', 'MSG', $3, 'EUR', 'settled', $4, '<x/>', 'c', $5, $5)`,
          [payment.uetr, payment.paymentId, payment.amountMinor, payment.submittedOn, at(payment.submittedOn)],
        );
      }
      const entryId = randomUUID();
      await tx.query(
        `insert into ledger_journal_entries (entry_id, kind, payment_id, reference, currency, created_at) values ($1, 'settlement', $2, $2, 'EUR', $3)`,
        [entryId, payment.paymentId, at(payment.postedOn)],
      );
      await tx.query(
        `insert into ledger_postings (entry_id, account_id, amount_minor) values ($1, 'DEBTOR', $2), ($1, 'BANK-RTGS-SETTLEMENT-EUR', $3)`,
        [entryId, -payment.amountMinor, payment.amountMinor],
      );
    });
  }

  const seeded = (name: string, rest: Omit<Seed, 'paymentId' | 'uetr'>): Seed => ({
    paymentId: `${name}-${randomUUID()}`,
    uetr: randomUUID(),
    ...rest,
  });

  it('reads the day, the days the statement names by UETR, and nothing else', async () => {
    const ofTheDay = seeded('of-the-day', {
      gateway: { status: 'COMPLETED', updatedOn: date },
      submittedOn: date,
      postedOn: date,
      amountMinor: 100n,
    });
    const namedYesterday = seeded('named-yesterday', {
      gateway: { status: 'COMPLETED', updatedOn: '2025-04-01' },
      submittedOn: '2025-04-01',
      postedOn: '2025-04-01',
      amountMinor: 200n,
    });
    const unknownToGateway = seeded('unknown-to-gateway', { submittedOn: '2025-03-31', postedOn: '2025-03-31', amountMinor: 300n });
    const postedNotEnded = seeded('posted-not-ended', {
      gateway: { status: 'SUBMITTED', updatedOn: date },
      submittedOn: date,
      postedOn: date,
      amountMinor: 400n,
    });
    const unnamedYesterday = seeded('unnamed-yesterday', {
      gateway: { status: 'COMPLETED', updatedOn: '2025-04-01' },
      submittedOn: '2025-04-01',
      postedOn: '2025-04-01',
      amountMinor: 500n,
    });
    const unnamedUnknown = seeded('unnamed-unknown', { submittedOn: '2025-04-01', postedOn: '2025-04-01', amountMinor: 600n });
    for (const payment of [ofTheDay, namedYesterday, unknownToGateway, postedNotEnded, unnamedYesterday, unnamedUnknown])
      await seed(payment);

    const books = await db.transaction((tx) => readOurBooks(tx, date, [ofTheDay.uetr, namedYesterday.uetr, unknownToGateway.uetr]));

    const byPayment = <T extends { paymentId: string }>(rows: T[]) => [...rows].sort((a, b) => a.paymentId.localeCompare(b.paymentId));
    expect(byPayment(books.ledgerSettlements)).toEqual(
      byPayment([
        {
          paymentId: ofTheDay.paymentId,
          uetr: ofTheDay.uetr,
          amountMinor: 100n,
          currency: 'EUR',
          kind: 'settlement',
          postedOn: date,
          networkSettlementDate: date,
        },
        {
          paymentId: namedYesterday.paymentId,
          uetr: namedYesterday.uetr,
          amountMinor: 200n,
          currency: 'EUR',
          kind: 'settlement',
          postedOn: '2025-04-01',
          networkSettlementDate: '2025-04-01',
        },
        {
          paymentId: unknownToGateway.paymentId,
          uetr: unknownToGateway.uetr,
          amountMinor: 300n,
          currency: 'EUR',
          kind: 'settlement',
          postedOn: '2025-03-31',
          networkSettlementDate: '2025-03-31',
        },
        {
          paymentId: postedNotEnded.paymentId,
          uetr: postedNotEnded.uetr,
          amountMinor: 400n,
          currency: 'EUR',
          kind: 'settlement',
          postedOn: date,
          networkSettlementDate: date,
        },
      ]),
    );
    expect(byPayment(books.payments)).toEqual(
      byPayment([
        {
          paymentId: ofTheDay.paymentId,
          uetr: ofTheDay.uetr,
          status: 'COMPLETED',
          amountMinor: 100n,
          currency: 'EUR',
          route: 'RTGS',
          terminalOn: date,
        },
        {
          paymentId: namedYesterday.paymentId,
          uetr: namedYesterday.uetr,
          status: 'COMPLETED',
          amountMinor: 200n,
          currency: 'EUR',
          route: 'RTGS',
          terminalOn: '2025-04-01',
        },
        {
          paymentId: postedNotEnded.paymentId,
          uetr: postedNotEnded.uetr,
          status: 'SUBMITTED',
          amountMinor: 400n,
          currency: 'EUR',
          route: 'RTGS',
          terminalOn: undefined,
        },
      ]),
    );
  });
});
