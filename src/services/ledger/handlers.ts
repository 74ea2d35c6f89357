import type { ConsumedEvent, EventHandler, HandlerContext } from '../../backbone/consumer/handler.ts';
import type { IdGenerator } from '../../backbone/clock/clock.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import { PaymentReasonCodes, type PaymentOrder } from '../../contracts/payment.ts';
import type { PaymentCompleted, PaymentFailed, PaymentReserved, RtgsRejected, RtgsSettled } from '../../contracts/events.ts';
import { bankAccounts, decideReservation, settlementPostings } from './domain/ledger.ts';
import { findAccount, findHold, lockAccounts, placeHold, postEntry, resolveHold, type Hold } from './ledger-store.ts';

/**
 * The ledger's consumer: reserves funds for an approved payment, then posts or releases the hold
 * when the RTGS network answers. It runs in blocking-retry mode: every event of a debtor account
 * is on one partition and must be applied in order (a release must not overtake its reservation).
 */
export function ledgerHandler(options: { approvedTopic: string; ids: IdGenerator }): EventHandler {
  return async (event, context) => {
    switch (event.topic) {
      case options.approvedTopic:
        return reserve((event.payload as { payment: PaymentOrder }).payment, context, options.ids);
      case PaymentTopics.rtgsSettled:
        return settle(event as ConsumedEvent<RtgsSettled>, context, options.ids);
      case PaymentTopics.rtgsRejected:
        return release(event as ConsumedEvent<RtgsRejected>, context);
      default:
        throw new Error(`ledger: no handler for topic ${event.topic}`);
    }
  };
}

async function reserve(payment: PaymentOrder, context: HandlerContext, ids: IdGenerator): Promise<void> {
  const { tx } = context;
  if (await findHold(tx, payment.paymentId)) return; // decided before (e.g. the event was published twice)
  const creditor = await findAccount(tx, payment.creditor.account);
  const creditorIsInternal = creditor?.kind === 'customer';
  const locked = await lockAccounts(tx, creditorIsInternal ? [payment.debtor.account, payment.creditor.account] : [payment.debtor.account]);
  const debtor = locked.get(payment.debtor.account);
  const decision = decideReservation(debtor?.kind === 'customer' ? debtor : undefined, payment.amountMinor, payment.currency, creditorIsInternal);
  if (decision.kind === 'refuse') return fail(context, payment, decision.reasonCode, decision.reason);
  if (creditorIsInternal && (creditor.currency !== payment.currency || creditor.status !== 'open')) {
    return fail(context, payment, PaymentReasonCodes.CREDITOR_ACCOUNT_INVALID, 'the creditor account of this bank is closed or in another currency');
  }
  const hold = { paymentId: payment.paymentId, accountId: decision.accountId, amountMinor: payment.amountMinor, currency: payment.currency, route: decision.route };
  await placeHold(tx, hold);
  emit<PaymentReserved>(context, PaymentTopics.reserved, payment.debtor.account, { payment, route: decision.route });
  if (decision.route === 'INTERNAL') {
    // Both accounts are ours and locked: settle at once, in the same transaction.
    await postAndComplete(context, { ...hold, state: 'held' }, payment.creditor.account, 'internal-transfer', payment.uetr, ids);
  }
}

async function settle(event: ConsumedEvent<RtgsSettled>, context: HandlerContext, ids: IdGenerator): Promise<void> {
  const { paymentId, uetr } = event.payload;
  const hold = await heldFor(context, paymentId);
  if (!hold) return;
  await postAndComplete(context, hold, bankAccounts.rtgsSettlement(hold.currency), 'settlement', uetr, ids);
}

async function release(event: ConsumedEvent<RtgsRejected>, context: HandlerContext): Promise<void> {
  const { paymentId, reasonCode, reason } = event.payload;
  const hold = await heldFor(context, paymentId);
  if (!hold) return;
  await resolveHold(context.tx, hold, 'released');
  emit<PaymentFailed>(context, PaymentTopics.failed, hold.accountId, {
    paymentId,
    debtorAccount: hold.accountId,
    amountMinor: hold.amountMinor,
    currency: hold.currency,
    reasonCode: PaymentReasonCodes.RTGS_REJECTED,
    reason: `RTGS network rejected the payment (${reasonCode}): ${reason}`,
  });
}

/** The open hold of a payment, its account locked; undefined (nothing to do) if already resolved. */
async function heldFor(context: HandlerContext, paymentId: string): Promise<Hold | undefined> {
  const hold = await findHold(context.tx, paymentId);
  if (!hold) throw new Error(`ledger invariant broken: an RTGS answer for payment ${paymentId}, which holds no funds`);
  if (hold.state !== 'held') return undefined; // answered twice: the first answer won
  await lockAccounts(context.tx, [hold.accountId]);
  const current = await findHold(context.tx, paymentId);
  return current?.state === 'held' ? current : undefined;
}

async function postAndComplete(context: HandlerContext, hold: Hold, counterpartAccountId: string, kind: 'settlement' | 'internal-transfer', uetr: string, ids: IdGenerator): Promise<void> {
  await resolveHold(context.tx, hold, 'posted');
  const posted = await postEntry(context.tx, {
    entryId: ids.eventId(),
    kind,
    paymentId: hold.paymentId,
    reference: hold.paymentId,
    currency: hold.currency,
    postings: settlementPostings(hold.accountId, counterpartAccountId, hold.amountMinor),
  });
  if (!posted) throw new Error(`ledger invariant broken: payment ${hold.paymentId} was posted twice`);
  emit<PaymentCompleted>(context, PaymentTopics.completed, hold.accountId, {
    paymentId: hold.paymentId,
    uetr,
    debtorAccount: hold.accountId,
    amountMinor: hold.amountMinor,
    currency: hold.currency,
    route: hold.route,
  });
}

function fail(context: HandlerContext, payment: PaymentOrder, reasonCode: string, reason: string): void {
  emit<PaymentFailed>(context, PaymentTopics.failed, payment.debtor.account, {
    paymentId: payment.paymentId,
    debtorAccount: payment.debtor.account,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    reasonCode,
    reason,
  });
}

function emit<Payload>(context: HandlerContext, topic: keyof typeof PaymentEventTypes, key: string, payload: Payload): void {
  context.emit({ topic, eventType: PaymentEventTypes[topic], key, payload });
}
