import type { Clock, IdGenerator } from '../../backbone/clock/clock.ts';
import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { BatchEventHandler } from '../../backbone/consumer/handler.ts';
import { transientError } from '../../backbone/errors.ts';
import { insertDeliveries, type EventDelivery } from './deliveries.ts';
import { customerNotice } from './customer-notice.ts';

/**
 * Contact data of accounts, looked up in the consumer's transaction (so it reads the same
 * database state the events were handled in): the accounts that have any, each with the fields it has.
 */
export type AccountContacts = (tx: SqlRunner, accounts: readonly string[]) => Promise<Map<string, { email?: string; phone?: string }>>;

/** The default: no account has contact data, so only webhooks are delivered. */
export const noAccountContacts: AccountContacts = async () => new Map();

export interface FanOutDeps {
  clock: Clock;
  ids: IdGenerator;
  accountContacts: AccountContacts;
}

/**
 * The consumer's handler, for a batch of events: in the batch's transaction, each event becomes the
 * customer's notice (`customerNotice`; events a customer is not told about are skipped), with one
 * delivery row per live webhook subscription to the notice's type, and an email and an SMS row
 * when the debtor account has such contacts: three statements for the whole batch (the live subscriptions, the
 * accounts' contacts, one insert). It does no network I/O, so a slow or failing receiver never
 * holds up this consumer, let alone the payment flow (a consumer group of its own). Database
 * failures are retried (they are the database's, not the event's).
 */
export function fanOutHandler(deps: FanOutDeps): BatchEventHandler {
  return async (events, context) => {
    try {
      const subscriptions = await liveSubscriptions(context.tx);
      const contacts = await contactsOf(
        context.tx,
        events.map((event) => event.payload),
        deps.accountContacts,
      );
      const rows: EventDelivery[] = [];
      for (const event of events) {
        const { envelope } = event;
        // What is stored and sent is the customer's notice, never the event: the rows hold no evidence either.
        const notice = customerNotice(envelope.eventType, event.payload);
        if (notice === undefined) continue;
        const payloadJson = JSON.stringify(notice.data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
        const delivered = { ...envelope, eventType: notice.eventType, payloadJson };
        for (const subscription of subscriptions) {
          if (subscription.eventTypes === null || subscription.eventTypes.includes(notice.eventType))
            rows.push({
              delivery: { id: deps.ids.eventId(), channel: 'webhook', subscriptionId: subscription.id, destination: null },
              event: delivered,
            });
        }
        const account = debtorAccountOf(event.payload);
        const contact = account === undefined ? undefined : contacts.get(account);
        if (contact?.email)
          rows.push({
            delivery: { id: deps.ids.eventId(), channel: 'email', subscriptionId: null, destination: contact.email },
            event: delivered,
          });
        if (contact?.phone)
          rows.push({
            delivery: { id: deps.ids.eventId(), channel: 'sms', subscriptionId: null, destination: contact.phone },
            event: delivered,
          });
      }
      await insertDeliveries(context.tx, rows, deps.clock.nowMs());
    } catch (error) {
      throw transientError('could not record notification deliveries', error);
    }
  };
}

async function liveSubscriptions(tx: SqlRunner): Promise<{ id: string; eventTypes: string[] | null }[]> {
  const result = await tx.query<{ id: string; event_types: string[] | null }>(
    `select id, event_types from webhook_subscriptions where deleted_at is null order by id`,
  );
  return result.rows.map((row) => ({ id: row.id, eventTypes: row.event_types }));
}

/** The contacts of the batch's debtor accounts, each looked up once. */
async function contactsOf(
  tx: SqlRunner,
  payloads: readonly unknown[],
  accountContacts: AccountContacts,
): Promise<Map<string, { email?: string; phone?: string }>> {
  const accounts = [...new Set(payloads.map(debtorAccountOf).filter((account) => account !== undefined))];
  const found = await accountContacts(tx, accounts);
  return found;
}

/** The customer's account: `debtorAccount` on outcome events, `payment.debtor.account` on order events. */
export function debtorAccountOf(payload: unknown): string | undefined {
  const data = payload as { debtorAccount?: unknown; payment?: { debtor?: { account?: unknown } } } | null;
  if (typeof data?.debtorAccount === 'string') return data.debtorAccount;
  const account = data?.payment?.debtor?.account;
  return typeof account === 'string' ? account : undefined;
}
