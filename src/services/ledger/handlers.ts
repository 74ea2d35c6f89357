import { EventFailure, type BatchEventHandler, type BatchHandlerContext, type ConsumedEvent } from '../../backbone/consumer/handler.ts';
import type { IdGenerator } from '../../backbone/clock/clock.ts';
import { permanentError, transientError } from '../../backbone/errors.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import { isEventOf, paymentIdOf, type TopicsCarrying } from '../../contracts/topic-payloads.ts';
import { PaymentReasonCodes, type PaymentOrder } from '../../contracts/payment.ts';
import type { PaymentCompleted, PaymentFailed, PaymentReserved, RtgsRejected, RtgsSettled } from '../../contracts/events.ts';
import { bankAccounts, decideReservation, settlementPostings } from './domain/ledger.ts';
import type { SagaParticipantHandler } from '../../backbone/saga/index.ts';
import { LoanCommandNames, loanSagaDataOf } from '../../contracts/loans.ts';
import { decideLoanDisbursement, decideLoanRelease, decideLoanReservation, loanFundingAccount } from './domain/lending.ts';
import {
  insertLoanHold,
  lockLendingCapacity,
  lockLoanHold,
  loanCommandAnswer,
  moveLendingCapacity,
  recordLoanCommandAnswer,
  resolveLoanHold,
} from './lending-store.ts';
import {
  applyAccountChanges,
  insertHolds,
  lockAccounts,
  lockHolds,
  postEntries,
  resolveHolds,
  type AccountRow,
  type Hold,
  type JournalEntry,
} from './ledger-store.ts';

/** A topic the ledger may take approved payments from: one whose events carry the payment order. */
export type LedgerApprovedTopic = TopicsCarrying<{ payment: PaymentOrder }>;

/**
 * The ledger's consumer: reserves funds for an approved payment, then posts or releases the hold
 * when the RTGS network answers. It runs in blocking-retry mode: every event of a debtor account
 * is on one partition and must be applied in order (a release must not overtake its reservation).
 *
 * A batch is applied with a fixed number of statements, whatever its size: it locks the holds of
 * its payments (payment id order), then every account it touches (account id order: debtors,
 * internal creditors, the accounts of the holds), in two statements; decides each event in order
 * on that locked state in memory (the pure functions of domain/ledger.ts), so a later payment of
 * the batch sees the funds an earlier one reserved; and writes the outcome set-based: new holds,
 * resolved holds, journal entries, postings and the accounts' balance and reserved amounts. One
 * lock order for every ledger transaction: two batches that share accounts (an internal transfer
 * each way) wait for each other, never deadlock.
 */
export function ledgerHandler(options: { approvedTopic: LedgerApprovedTopic; ids: IdGenerator }): BatchEventHandler {
  return async (events, context) => {
    const paymentIds = events.map((event) => paymentOfEvent(event, options.approvedTopic));
    const holds = await lockHolds(
      context.tx,
      paymentIds.filter((paymentId) => paymentId !== undefined),
    );
    const touched = events.flatMap((event, index) => {
      if (isEventOf(event, options.approvedTopic)) {
        const { payment } = event.payload;
        return [payment.debtor.account, payment.creditor.account];
      }
      const paymentId = paymentIds[index];
      const hold = paymentId === undefined ? undefined : holds.get(paymentId);
      return hold ? [hold.accountId] : [];
    });
    const batch = new LedgerBatch(await lockAccounts(context.tx, touched), holds, options.ids, context);
    for (const [index, event] of events.entries()) {
      try {
        if (isEventOf(event, options.approvedTopic)) batch.reserve(event, event.payload.payment);
        else if (isEventOf(event, PaymentTopics.rtgsSettled)) batch.settle(event);
        else if (isEventOf(event, PaymentTopics.rtgsRejected)) batch.release(event);
        else throw new Error(`ledger: no handler for topic ${event.topic}`);
      } catch (error) {
        throw new EventFailure(index, error);
      }
    }
    await batch.write();
  };
}

/** The payment of an event of the ledger's topics; none for another topic (refused in the batch's loop). */
function paymentOfEvent(event: ConsumedEvent, approvedTopic: LedgerApprovedTopic): string | undefined {
  return isEventOf(event, approvedTopic, PaymentTopics.rtgsSettled, PaymentTopics.rtgsRejected) ? paymentIdOf(event.payload) : undefined;
}

/** One batch's decisions, made in order on the locked state, and the writes they add up to. */
class LedgerBatch {
  readonly #accounts: Map<string, AccountRow>;
  readonly #holds: Map<string, Hold>;
  readonly #ids: IdGenerator;
  readonly #context: BatchHandlerContext;
  readonly #newHolds: Hold[] = [];
  readonly #placed = new Set<string>();
  readonly #resolved = new Map<string, 'posted' | 'released'>();
  readonly #entries: JournalEntry[] = [];
  /** Per account: how much its balance and its reserved amount move. */
  readonly #changes = new Map<string, { balanceMinor: bigint; reservedMinor: bigint }>();

  constructor(accounts: Map<string, AccountRow>, holds: Map<string, Hold>, ids: IdGenerator, context: BatchHandlerContext) {
    this.#accounts = accounts;
    this.#holds = holds;
    this.#ids = ids;
    this.#context = context;
  }

  reserve(event: ConsumedEvent, payment: PaymentOrder): void {
    if (this.#holds.has(payment.paymentId)) return; // decided before (e.g. the event was published twice)
    const decision = decideReservation(
      this.#customerAccount(payment.debtor.account),
      this.#customerAccount(payment.creditor.account),
      payment.amountMinor,
      payment.currency,
    );
    if (decision.kind === 'refuse') return this.#fail(event, payment, decision.reasonCode, decision.reason);
    const hold: Hold = {
      paymentId: payment.paymentId,
      accountId: decision.accountId,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      route: decision.route,
      state: 'held',
    };
    this.#holds.set(hold.paymentId, hold);
    this.#newHolds.push(hold);
    this.#placed.add(hold.paymentId);
    this.#change(hold.accountId, 0n, hold.amountMinor);
    this.#emit<PaymentReserved>(event, PaymentTopics.reserved, payment.debtor.account, { payment, route: decision.route });
    // Both accounts are ours and locked: settle at once, in the same transaction.
    if (decision.route === 'INTERNAL') this.#postAndComplete(event, hold, payment.creditor.account, 'internal-transfer', payment.uetr);
  }

  /** A locked customer account of this bank; undefined for another bank's account or one of the bank's own. */
  #customerAccount(accountId: string): AccountRow | undefined {
    const account = this.#accounts.get(accountId);
    return account?.kind === 'customer' ? account : undefined;
  }

  settle(event: ConsumedEvent<RtgsSettled>): void {
    const hold = this.#heldFor(event.payload.paymentId);
    if (hold) this.#postAndComplete(event, hold, bankAccounts.rtgsSettlement(hold.currency), 'settlement', event.payload.uetr);
  }

  release(event: ConsumedEvent<RtgsRejected>): void {
    const { paymentId, reasonCode, reason } = event.payload;
    const hold = this.#heldFor(paymentId);
    if (!hold) return;
    this.#resolve(hold, 'released');
    this.#emit<PaymentFailed>(event, PaymentTopics.failed, hold.accountId, {
      paymentId,
      debtorAccount: hold.accountId,
      amountMinor: hold.amountMinor,
      currency: hold.currency,
      reasonCode: PaymentReasonCodes.RTGS_REJECTED,
      reason: `RTGS network rejected the payment (${reasonCode}): ${reason}`,
    });
  }

  /** Writes what the batch decided: a fixed number of statements. */
  async write(): Promise<void> {
    const { tx } = this.#context;
    const inserted = await insertHolds(tx, this.#newHolds);
    const resolved = await resolveHolds(
      tx,
      [...this.#resolved].map(([paymentId, state]) => ({ paymentId, state })),
    );
    const posted = await postEntries(tx, this.#entries);
    // Another transaction got there first (only while partitions move between members): the
    // batch is retried and then sees what that one did.
    if (inserted !== this.#newHolds.length || resolved !== this.#resolved.size || posted !== this.#entries.length) {
      throw transientError('the ledger batch raced another transaction for the same payments; retrying');
    }
    await applyAccountChanges(tx, this.#changes);
  }

  /** The open hold of a payment (its account locked); undefined (nothing to do) if already resolved. */
  #heldFor(paymentId: string): Hold | undefined {
    const hold = this.#holds.get(paymentId);
    if (!hold) throw new Error(`ledger invariant broken: an RTGS answer for payment ${paymentId}, which holds no funds`);
    return hold.state === 'held' ? hold : undefined; // answered twice: the first answer won
  }

  #postAndComplete(
    event: ConsumedEvent,
    hold: Hold,
    counterpartAccountId: string,
    kind: 'settlement' | 'internal-transfer',
    uetr: string,
  ): void {
    this.#resolve(hold, 'posted');
    const postings = settlementPostings(hold.accountId, counterpartAccountId, hold.amountMinor);
    this.#entries.push({
      entryId: this.#ids.eventId(),
      kind,
      paymentId: hold.paymentId,
      reference: hold.paymentId,
      currency: hold.currency,
      postings,
    });
    for (const posting of postings) this.#change(posting.accountId, posting.amountMinor, 0n);
    this.#emit<PaymentCompleted>(event, PaymentTopics.completed, hold.accountId, {
      paymentId: hold.paymentId,
      uetr,
      debtorAccount: hold.accountId,
      amountMinor: hold.amountMinor,
      currency: hold.currency,
      route: hold.route,
    });
  }

  #resolve(hold: Hold, state: 'posted' | 'released'): void {
    hold.state = state;
    this.#change(hold.accountId, 0n, -hold.amountMinor);
    // A hold placed in this batch (an internal transfer) is inserted in its final state.
    if (!this.#placed.has(hold.paymentId)) this.#resolved.set(hold.paymentId, state);
  }

  /** Moves an account's balance and reserved amount, in the locked state and in the batch's writes. */
  #change(accountId: string, balanceMinor: bigint, reservedMinor: bigint): void {
    const account = this.#accounts.get(accountId);
    // Only customer accounts keep a balance; the bank's own accounts are the sums of their postings.
    if (!account || account.kind !== 'customer') return;
    account.balanceMinor += balanceMinor;
    account.reservedMinor += reservedMinor;
    const change = this.#changes.get(accountId) ?? { balanceMinor: 0n, reservedMinor: 0n };
    change.balanceMinor += balanceMinor;
    change.reservedMinor += reservedMinor;
    this.#changes.set(accountId, change);
  }

  #fail(event: ConsumedEvent, payment: PaymentOrder, reasonCode: string, reason: string): void {
    this.#emit<PaymentFailed>(event, PaymentTopics.failed, payment.debtor.account, {
      paymentId: payment.paymentId,
      debtorAccount: payment.debtor.account,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      reasonCode,
      reason,
    });
  }

  #emit<Payload>(cause: ConsumedEvent, topic: keyof typeof PaymentEventTypes, key: string, payload: Payload): void {
    this.#context.emit(cause, { topic, eventType: PaymentEventTypes[topic], key, payload });
  }
}

/**
 * The ledger's part of the loan approval saga (`ledger.loan-commands.v1`): START reserves the
 * amount against the lending capacity (a hold on the loan-funding account), APPROVED pays it out
 * to the applicant (one journal entry, the hold posted), RELEASE_RESERVATIONS releases the hold.
 * Every command's answer is recorded under its command id in the transaction that does the work,
 * and a command answered before is answered again the same way, doing nothing: a re-send after a
 * deadline or a redelivery applies no effect twice, and a reservation refused for want of capacity
 * stays refused when the same command comes back after capacity was freed.
 */
export function ledgerLoanParticipant(options: {
  lendingCapacityMinor: ReadonlyMap<string, bigint>;
  ids: IdGenerator;
}): SagaParticipantHandler {
  return async (command, { tx, reply }) => {
    const loan = loanSagaDataOf(command.data);
    // The capacity row first: it serialises every loan command of the currency, duplicates included.
    const capacity = await lockLendingCapacity(tx, loan.currency, options.lendingCapacityMinor.get(loan.currency));
    const answered = await loanCommandAnswer(tx, command.commandId);
    if (answered) return reply(answered.ok, answered.reason ?? undefined);
    const answer = (ok: boolean, reason?: string) => ({ ok, reason });
    let outcome: { ok: boolean; reason: string | undefined };
    const hold = await lockLoanHold(tx, loan.applicationId);
    if (command.name === LoanCommandNames.reserve) {
      const applicant = (await lockAccounts(tx, [loan.account])).get(loan.account);
      const decision = hold
        ? ({ kind: 'refuse', reason: `the loan's reservation is ${hold.state} already` } as const)
        : decideLoanReservation(capacity, applicant?.kind === 'customer' ? applicant : undefined, loan.amountMinor, loan.currency);
      if (decision.kind === 'reserve') {
        await insertLoanHold(tx, { ...loan, state: 'held' });
        await moveLendingCapacity(tx, loan.currency, loan.amountMinor, 0n);
        outcome = answer(true);
      } else {
        outcome = answer(false, decision.reason);
      }
    } else if (command.name === LoanCommandNames.disburse) {
      const applicant = (await lockAccounts(tx, [loan.account])).get(loan.account);
      const decision = decideLoanDisbursement(
        hold,
        applicant?.kind === 'customer' ? applicant : undefined,
        loanFundingAccount(loan.currency),
        loan.currency,
      );
      if (decision.kind === 'disburse') {
        const entry: JournalEntry = {
          entryId: options.ids.eventId(),
          kind: 'loan-disbursement',
          paymentId: null,
          reference: loan.applicationId,
          customerReference: `Loan ${loan.applicationId}`,
          currency: loan.currency,
          postings: decision.postings,
        };
        await postEntries(tx, [entry]);
        await applyAccountChanges(tx, new Map([[loan.account, { balanceMinor: hold!.amountMinor, reservedMinor: 0n }]]));
        await resolveLoanHold(tx, loan.applicationId, 'posted');
        await moveLendingCapacity(tx, loan.currency, -hold!.amountMinor, hold!.amountMinor);
        outcome = answer(true);
      } else {
        outcome = decision.kind === 'already-disbursed' ? answer(true) : answer(false, decision.reason);
      }
    } else if (command.name === LoanCommandNames.releaseReservation) {
      const decision = decideLoanRelease(hold);
      if (decision.kind === 'release') {
        await resolveLoanHold(tx, loan.applicationId, 'released');
        await moveLendingCapacity(tx, loan.currency, -hold!.amountMinor, 0n);
      } else if (decision.kind === 'record-released') {
        await insertLoanHold(tx, { ...loan, state: 'released' });
      }
      outcome = decision.kind === 'refuse' ? answer(false, decision.reason) : answer(true);
    } else {
      throw permanentError(`the ledger has no loan command ${command.name}`);
    }
    await recordLoanCommandAnswer(tx, command.commandId, outcome.ok, outcome.reason ?? null);
    reply(outcome.ok, outcome.reason);
  };
}
