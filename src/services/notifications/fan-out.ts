import type { Clock, IdGenerator } from '../../backbone/clock/clock.ts';
import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { EventHandler } from '../../backbone/consumer/handler.ts';
import { transientError } from '../../backbone/errors.ts';
import { insertDeliveries, type NewDelivery } from './deliveries.ts';

/**
 * Contact data of an account, looked up in the consumer's transaction (so it reads the same
 * database state the event was handled in). Undefined, or no field, when the account has none.
 */
export type AccountContacts = (tx: SqlRunner, account: string) => Promise<{ email?: string; phone?: string } | undefined>;

/** The default: no account has contact data, so only webhooks are delivered. */
export const noAccountContacts: AccountContacts = async () => undefined;

export interface FanOutDeps {
  clock: Clock;
  ids: IdGenerator;
  accountContacts: AccountContacts;
}

/**
 * The consumer's handler: for each event, in the batch's transaction, one delivery row per live
 * webhook subscription to its event type, and an email and an SMS row when the debtor account has
 * such contacts. It does no network I/O, so a slow or failing receiver never holds up this
 * consumer, let alone the payment flow (a consumer group of its own). Database failures are
 * retried (they are the database's, not the event's).
 */
export function fanOutHandler(deps: FanOutDeps): EventHandler {
  return async (event, context) => {
    const { envelope } = event;
    const payloadJson = JSON.stringify(event.payload, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    try {
      const deliveries = [...(await webhookDeliveries(context.tx, envelope.eventType, deps.ids)), ...(await messageDeliveries(context.tx, event.payload, deps))];
      await insertDeliveries(context.tx, deliveries, { ...envelope, payloadJson }, deps.clock.nowMs());
    } catch (error) {
      throw transientError('could not record notification deliveries', error);
    }
  };
}

async function webhookDeliveries(tx: SqlRunner, eventType: string, ids: IdGenerator): Promise<NewDelivery[]> {
  const subscriptions = await tx.query<{ id: string }>(
    `select id from webhook_subscriptions where deleted_at is null and (event_types is null or $1 = any(event_types)) order by id`,
    [eventType],
  );
  return subscriptions.rows.map((row) => ({ id: ids.eventId(), channel: 'webhook', subscriptionId: row.id, destination: null }));
}

async function messageDeliveries(tx: SqlRunner, payload: unknown, deps: FanOutDeps): Promise<NewDelivery[]> {
  const account = debtorAccountOf(payload);
  if (account === undefined) return [];
  const contacts = await deps.accountContacts(tx, account);
  const deliveries: NewDelivery[] = [];
  if (contacts?.email) deliveries.push({ id: deps.ids.eventId(), channel: 'email', subscriptionId: null, destination: contacts.email });
  if (contacts?.phone) deliveries.push({ id: deps.ids.eventId(), channel: 'sms', subscriptionId: null, destination: contacts.phone });
  return deliveries;
}

/** The customer's account: `debtorAccount` on outcome events, `payment.debtor.account` on order events. */
export function debtorAccountOf(payload: unknown): string | undefined {
  const data = payload as { debtorAccount?: unknown; payment?: { debtor?: { account?: unknown } } } | null;
  if (typeof data?.debtorAccount === 'string') return data.debtorAccount;
  const account = data?.payment?.debtor?.account;
  return typeof account === 'string' ? account : undefined;
}
