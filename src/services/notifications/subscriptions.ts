import type { SqlRunner } from '../../backbone/storage/database.ts';

/** A webhook endpoint as the API shows it; the secret only in the answer to its creation. */
export interface WebhookSubscription {
  id: string;
  url: string;
  /** Event types delivered to it; null for every event type, including ones added later. */
  events: string[] | null;
  createdAt: string;
}

export interface NewSubscription {
  url: string;
  events: string[] | null;
}

/** Longest URL accepted; longer ones are almost always a mistake, and they are stored and logged nowhere else. */
export const maxWebhookUrlLength = 2048;

/** Why a body was refused, in the API's problem vocabulary, worded for the caller. */
export interface SubscriptionRefusal {
  ok: false;
  code: 'invalid-field' | 'missing-field' | 'unknown-field';
  /** JSON pointer of the field at fault. */
  pointer: string;
  detail: string;
}

/**
 * Validates a `POST /v1/webhooks` body. Unknown members are refused, so a misspelt `events` does
 * not silently subscribe to everything. Returns the normalised subscription or the reason.
 */
export function parseNewSubscription(
  body: unknown,
  subscribableEventTypes: readonly string[],
): { ok: true; value: NewSubscription } | SubscriptionRefusal {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return refuse('invalid-field', '', 'the body must be a JSON object with a url');
  const unknown = Object.keys(body).find((key) => key !== 'url' && key !== 'events');
  if (unknown !== undefined) return refuse('unknown-field', `/${unknown}`, `unknown field ${unknown}; allowed: url, events`);
  const { url, events } = body as { url?: unknown; events?: unknown };
  if (url === undefined) return refuse('missing-field', '/url', 'url is required');
  const checkedUrl = validateWebhookUrl(url);
  if (!checkedUrl.ok) return refuse('invalid-field', '/url', checkedUrl.detail);
  const checkedEvents = validateEventTypes(events, subscribableEventTypes);
  if (!checkedEvents.ok) return refuse('invalid-field', '/events', checkedEvents.detail);
  return { ok: true, value: { url: checkedUrl.url, events: checkedEvents.events } };
}

/** An absolute http(s) URL without credentials or fragment; returns its normalised form. */
export function validateWebhookUrl(value: unknown): { ok: true; url: string } | { ok: false; detail: string } {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, detail: 'url must be a non-empty string' };
  if (value.length > maxWebhookUrlLength) return { ok: false, detail: `url must be at most ${maxWebhookUrlLength} characters` };
  if (!URL.canParse(value)) return { ok: false, detail: 'url is not an absolute URL' };
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, detail: `url must use http or https, not ${url.protocol.slice(0, -1)}` };
  if (url.username !== '' || url.password !== '')
    return { ok: false, detail: 'url must not contain credentials; verify requests by their Paystream-Signature instead' };
  if (url.hash !== '') return { ok: false, detail: 'url must not contain a fragment (#…): it is never sent' };
  return { ok: true, url: url.href };
}

function validateEventTypes(
  value: unknown,
  subscribable: readonly string[],
): { ok: true; events: string[] | null } | { ok: false; detail: string } {
  if (value === undefined || value === null) return { ok: true, events: null };
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string')) {
    return { ok: false, detail: 'events must be a non-empty array of event types; omit it to receive every event type' };
  }
  const unknown = value.filter((item) => !subscribable.includes(item));
  if (unknown.length > 0) return { ok: false, detail: `unknown event type(s): ${unknown.join(', ')}; known: ${subscribable.join(', ')}` };
  return { ok: true, events: [...new Set(value as string[])] };
}

function refuse(code: SubscriptionRefusal['code'], pointer: string, detail: string): SubscriptionRefusal {
  return { ok: false, code, pointer, detail };
}

interface SubscriptionRow {
  id: string;
  url: string;
  event_types: string[] | null;
  created_at: Date;
}

export async function insertSubscription(
  db: SqlRunner,
  id: string,
  subscription: NewSubscription,
  secret: string,
  createdAtMs: number,
): Promise<WebhookSubscription> {
  const result = await db.query<SubscriptionRow>(
    `insert into webhook_subscriptions (id, url, event_types, secret, created_at) values ($1, $2, $3::text[], $4, $5::timestamptz)
     returning id, url, event_types, created_at`,
    [id, subscription.url, subscription.events, secret, new Date(createdAtMs).toISOString()],
  );
  return subscriptionFromRow(result.rows[0]!);
}

export async function listSubscriptions(db: SqlRunner): Promise<WebhookSubscription[]> {
  const result = await db.query<SubscriptionRow>(
    `select id, url, event_types, created_at from webhook_subscriptions where deleted_at is null order by created_at, id`,
  );
  return result.rows.map(subscriptionFromRow);
}

export async function subscriptionExists(db: SqlRunner, id: string): Promise<boolean> {
  const result = await db.query(`select 1 from webhook_subscriptions where id = $1 and deleted_at is null`, [id]);
  return result.rows.length > 0;
}

/**
 * Deletes a subscription (keeping its row for the delivery history) and cancels its pending
 * deliveries, in one transaction; false if there was no such live subscription. A delivery
 * already being sent finishes its attempt.
 */
export async function deleteSubscription(tx: SqlRunner, id: string, deletedAtMs: number): Promise<boolean> {
  const deleted = await tx.query(`update webhook_subscriptions set deleted_at = $2::timestamptz where id = $1 and deleted_at is null`, [
    id,
    new Date(deletedAtMs).toISOString(),
  ]);
  if (deleted.rowCount === 0) return false;
  await tx.query(
    `update notification_deliveries set status = 'cancelled', claim_token = null where subscription_id = $1 and status = 'pending'`,
    [id],
  );
  return true;
}

function subscriptionFromRow(row: SubscriptionRow): WebhookSubscription {
  return { id: row.id, url: row.url, events: row.event_types, createdAt: row.created_at.toISOString() };
}
