import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../../backbone/storage-pglite/pglite-database.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { uuidV7Ids } from '../../backbone/clock/clock.ts';
import { EventFailure, type ConsumedEvent, type EmittedEvent } from '../../backbone/consumer/handler.ts';
import { PaymentReasonCodes, type PaymentOrder } from '../../contracts/payment.ts';
import { PaymentTopics } from '../../contracts/topics.ts';
import type { PaymentCleared, RtgsRejected, RtgsSettled } from '../../contracts/events.ts';
import { assertLedgerInvariants } from '../../../test/support/ledger-invariants.ts';
import { ledgerMigrations } from './migrations.ts';
import { ledgerHandler } from './handlers.ts';
import { findAccount, lockAccounts, openAccount, postEntry } from './ledger-store.ts';
import { bankAccounts, depositPostings } from './domain/ledger.ts';

// The ledger's handler on PGlite in memory: it loads the accounts and holds, applies the domain's
// decisions (domain/ledger.ts), and writes them. Each test runs batches as the consumer runner
// would (one transaction per batch), records what the handler emits, and checks the ledger's
// invariants afterwards.
describe('the ledger handler', () => {
  let db: PgliteDatabase;
  let accountNumber = 0;
  let paymentNumber = 0;
  const handler = ledgerHandler({ approvedTopic: PaymentTopics.cleared, ids: uuidV7Ids });

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db, 'ledger', ledgerMigrations);
  });

  afterAll(() => db?.close());

  beforeEach(async () => {
    // Every test's money is its own; the ledger's invariants hold over all of them.
    await assertLedgerInvariants(db);
  });

  /** Opens a customer account holding `balanceMinor`, deposited from the bank's funding account. */
  async function customerAccount(
    options: { balanceMinor?: bigint; currency?: string; overdraftLimitMinor?: bigint; status?: 'open' | 'closed' } = {},
  ): Promise<string> {
    const accountId = `TEST-ACCOUNT-${++accountNumber}`;
    const currency = options.currency ?? 'EUR';
    await db.transaction(async (tx) => {
      await openAccount(tx, { accountId, name: 'Test Customer', currency, overdraftLimitMinor: options.overdraftLimitMinor ?? 0n });
      await lockAccounts(tx, [accountId]);
      if (options.balanceMinor)
        await postEntry(tx, {
          entryId: uuidV7Ids.eventId(),
          kind: 'deposit',
          paymentId: null,
          reference: `deposit-${accountId}`,
          currency,
          postings: depositPostings(bankAccounts.funding(currency), accountId, options.balanceMinor),
        });
      if (options.status === 'closed') await tx.query(`update ledger_accounts set status = 'closed' where account_id = $1`, [accountId]);
    });
    return accountId;
  }

  function order(debtor: string, creditor: string, amountMinor: bigint, currency = 'EUR'): PaymentOrder {
    paymentNumber += 1;
    return {
      paymentId: `payment-${paymentNumber}`,
      uetr: '8a562c67-ca16-48ba-b074-65581be6f011',
      endToEndId: `e2e-${paymentNumber}`,
      amountMinor,
      currency,
      debtor: { name: 'Test Debtor', account: debtor, agent: 'PSTRDEFFXXX', country: 'DE' },
      creditor: { name: 'Test Creditor', account: creditor, agent: 'BNPAFRPPXXX', country: 'FR' },
      remittanceInformation: null,
      receivedAt: '2026-12-07T12:00:00.000Z',
    };
  }

  function consumed<Payload>(topic: string, key: string, payload: Payload): ConsumedEvent<Payload> {
    const eventId = uuidV7Ids.eventId();
    return {
      envelope: {
        eventId,
        eventType: topic,
        schemaVersion: 1,
        occurredAt: '2026-12-07T12:00:00.000Z',
        correlationId: eventId,
        causationId: null,
        key,
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
      payload,
      topic,
      partition: 0,
      offset: 0n,
      attempt: 0,
    };
  }
  const approved = (payment: PaymentOrder) =>
    consumed<PaymentCleared>(PaymentTopics.cleared, payment.debtor.account, {
      payment,
      corridorCode: 'DEU-FRA',
      clearedBy: 'fraud-scoring',
    });
  const settled = (payment: PaymentOrder) =>
    consumed<RtgsSettled>(PaymentTopics.rtgsSettled, payment.debtor.account, {
      paymentId: payment.paymentId,
      uetr: payment.uetr,
      debtorAccount: payment.debtor.account,
      settlementDate: '2026-12-07',
    });
  const rejected = (payment: PaymentOrder) =>
    consumed<RtgsRejected>(PaymentTopics.rtgsRejected, payment.debtor.account, {
      paymentId: payment.paymentId,
      uetr: payment.uetr,
      debtorAccount: payment.debtor.account,
      reasonCode: 'AC04',
      reason: 'closed account number',
    });

  /** Runs one batch in one transaction; what it emitted, as `topic reasonCode-or-route`. */
  async function handle(...events: ConsumedEvent[]): Promise<string[]> {
    const emitted: EmittedEvent[] = [];
    await db.transaction((tx) => handler(events, { tx, emit: (_cause, event) => void emitted.push(event), afterCommit: () => {} }));
    await assertLedgerInvariants(db);
    return emitted.map((event) => {
      const payload = event.payload as { reasonCode?: string; route?: string };
      return [event.topic, payload.reasonCode ?? payload.route].filter(Boolean).join(' ');
    });
  }
  async function money(accountId: string): Promise<{ balanceMinor: bigint; reservedMinor: bigint } | undefined> {
    const account = await findAccount(db, accountId);
    return account && { balanceMinor: account.balanceMinor, reservedMinor: account.reservedMinor };
  }
  const external = 'FR1420041010050500013M02606';

  it('reserves a payment to another bank, posts it to the RTGS settlement account when settled, and ignores a second answer', async () => {
    const debtor = await customerAccount({ balanceMinor: 100_00n });
    const payment = order(debtor, external, 30_00n);
    expect(await handle(approved(payment))).toEqual(['payments.reserved.v1 RTGS']);
    expect(await money(debtor)).toEqual({ balanceMinor: 100_00n, reservedMinor: 30_00n });
    expect(await handle(settled(payment))).toEqual(['payments.completed.v1 RTGS']);
    expect(await money(debtor)).toEqual({ balanceMinor: 70_00n, reservedMinor: 0n });
    expect(await handle(settled(payment))).toEqual([]);
    expect(await handle(rejected(payment))).toEqual([]);
    expect(await money(debtor)).toEqual({ balanceMinor: 70_00n, reservedMinor: 0n });
  });

  it('releases the hold when the RTGS network rejects the payment, posting nothing', async () => {
    const debtor = await customerAccount({ balanceMinor: 100_00n });
    const payment = order(debtor, external, 30_00n);
    await handle(approved(payment));
    expect(await handle(rejected(payment))).toEqual([`payments.failed.v1 ${PaymentReasonCodes.RTGS_REJECTED}`]);
    expect(await money(debtor)).toEqual({ balanceMinor: 100_00n, reservedMinor: 0n });
    expect(
      (await db.query(`select count(*)::int as entries from ledger_journal_entries where payment_id = $1`, [payment.paymentId])).rows,
    ).toEqual([{ entries: 0 }]);
  });

  it('settles a payment to an open account of this bank at once, in the same batch', async () => {
    const debtor = await customerAccount({ balanceMinor: 100_00n });
    const creditor = await customerAccount();
    expect(await handle(approved(order(debtor, creditor, 25_00n)))).toEqual([
      'payments.reserved.v1 INTERNAL',
      'payments.completed.v1 INTERNAL',
    ]);
    expect(await money(debtor)).toEqual({ balanceMinor: 75_00n, reservedMinor: 0n });
    expect(await money(creditor)).toEqual({ balanceMinor: 25_00n, reservedMinor: 0n });
  });

  it('refuses a payment to a closed account of this bank, or one in another currency, and holds nothing', async () => {
    const debtor = await customerAccount({ balanceMinor: 100_00n });
    const closed = await customerAccount({ status: 'closed' });
    const inPounds = await customerAccount({ currency: 'GBP' });
    expect(await handle(approved(order(debtor, closed, 10_00n)), approved(order(debtor, inPounds, 10_00n)))).toEqual([
      `payments.failed.v1 ${PaymentReasonCodes.CREDITOR_ACCOUNT_INVALID}`,
      `payments.failed.v1 ${PaymentReasonCodes.CREDITOR_ACCOUNT_INVALID}`,
    ]);
    expect(await money(debtor)).toEqual({ balanceMinor: 100_00n, reservedMinor: 0n });
    expect(await money(closed)).toEqual({ balanceMinor: 0n, reservedMinor: 0n });
  });

  it("refuses a payment from an unknown, closed or other-currency debtor account, or one of the bank's own accounts", async () => {
    const closed = await customerAccount({ balanceMinor: 100_00n, status: 'closed' });
    const debtor = await customerAccount({ balanceMinor: 100_00n });
    expect(
      await handle(
        approved(order('DE00000000000000000000', external, 1_00n)),
        approved(order(closed, external, 1_00n)),
        approved(order(debtor, external, 1_00n, 'USD')),
        approved(order(bankAccounts.funding('EUR'), external, 1_00n)),
      ),
    ).toEqual([
      `payments.failed.v1 ${PaymentReasonCodes.DEBTOR_ACCOUNT_NOT_FOUND}`,
      `payments.failed.v1 ${PaymentReasonCodes.DEBTOR_ACCOUNT_CLOSED}`,
      `payments.failed.v1 ${PaymentReasonCodes.CURRENCY_MISMATCH}`,
      `payments.failed.v1 ${PaymentReasonCodes.DEBTOR_ACCOUNT_NOT_FOUND}`,
    ]);
  });

  it('decides a batch in order: a later payment sees what an earlier one reserved, within the overdraft', async () => {
    const debtor = await customerAccount({ balanceMinor: 50_00n, overdraftLimitMinor: 20_00n });
    expect(
      await handle(
        approved(order(debtor, external, 40_00n)),
        approved(order(debtor, external, 30_00n)),
        approved(order(debtor, external, 30_00n)),
      ),
    ).toEqual(['payments.reserved.v1 RTGS', 'payments.reserved.v1 RTGS', `payments.failed.v1 ${PaymentReasonCodes.INSUFFICIENT_FUNDS}`]);
    expect(await money(debtor)).toEqual({ balanceMinor: 50_00n, reservedMinor: 70_00n });
  });

  it('decides a payment published twice once', async () => {
    const debtor = await customerAccount({ balanceMinor: 100_00n });
    const payment = order(debtor, external, 10_00n);
    expect(await handle(approved(payment), approved(payment))).toEqual(['payments.reserved.v1 RTGS']);
    expect(await handle(approved(payment))).toEqual([]);
    expect(await money(debtor)).toEqual({ balanceMinor: 100_00n, reservedMinor: 10_00n });
  });

  it('fails the event, naming it, when an RTGS answer comes for a payment that holds no funds', async () => {
    const debtor = await customerAccount({ balanceMinor: 100_00n });
    const held = order(debtor, external, 10_00n);
    await handle(approved(held));
    const failure = await handle(settled(held), settled(order(debtor, external, 10_00n))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EventFailure);
    expect(failure).toMatchObject({
      index: 1,
      cause: { message: expect.stringMatching(/ledger invariant broken: an RTGS answer for payment payment-\d+, which holds no funds/) },
    });
    expect(await money(debtor)).toEqual({ balanceMinor: 100_00n, reservedMinor: 10_00n });
  });
});
