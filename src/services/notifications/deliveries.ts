import type { SqlRunner } from '../../backbone/storage/database.ts';
import { deliveriesChannel } from './migrations.ts';

export type DeliveryChannel = 'webhook' | 'email' | 'sms';
export type DeliveryStatus = 'pending' | 'delivered' | 'dead_lettered' | 'cancelled';
export const deliveryStatuses: readonly DeliveryStatus[] = ['pending', 'delivered', 'dead_lettered', 'cancelled'];

/** One notification to send: to a webhook subscription, or an email / SMS to a destination. */
export interface NewDelivery {
  id: string;
  channel: DeliveryChannel;
  subscriptionId: string | null;
  /** Email address or phone number; null for webhooks. */
  destination: string | null;
}

/** The event a delivery carries, as the consumer saw it. */
export interface DeliveredEvent {
  eventId: string;
  eventType: string;
  correlationId: string;
  occurredAt: string;
  /** The payload as JSON text (bigints as decimal strings). */
  payloadJson: string;
}

/** A delivery and the event it carries. */
export interface EventDelivery {
  delivery: NewDelivery;
  event: DeliveredEvent;
}

/**
 * Inserts deliveries (of any number of events, one statement); an (subscription, event) or
 * (channel, event) pair that is already there is skipped, so a handler that runs again for the
 * same event adds nothing. Wakes the delivery workers when the transaction commits. Returns how
 * many rows were new.
 */
export async function insertDeliveries(tx: SqlRunner, rows: readonly EventDelivery[], nowMs: number): Promise<number> {
  if (rows.length === 0) return 0;
  const column = <T>(pick: (row: EventDelivery) => T): T[] => rows.map(pick);
  const result = await tx.query(
    `insert into notification_deliveries (id, channel, subscription_id, destination, event_id, event_type, correlation_id, occurred_at, payload_json, next_attempt_at, created_at)
     select d.id, d.channel, d.subscription_id, d.destination, d.event_id, d.event_type, d.correlation_id, d.occurred_at, d.payload_json, $10::timestamptz, $10::timestamptz
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         as d(id, channel, subscription_id, destination, event_id, event_type, correlation_id, occurred_at, payload_json)
     on conflict do nothing`,
    [
      column((row) => row.delivery.id),
      column((row) => row.delivery.channel),
      column((row) => row.delivery.subscriptionId),
      column((row) => row.delivery.destination),
      column((row) => row.event.eventId),
      column((row) => row.event.eventType),
      column((row) => row.event.correlationId),
      column((row) => row.event.occurredAt),
      column((row) => row.event.payloadJson),
      new Date(nowMs).toISOString(),
    ],
  );
  if (result.rowCount > 0) await notifyWorkers(tx);
  return result.rowCount;
}

export async function notifyWorkers(tx: SqlRunner): Promise<void> {
  await tx.query(`select pg_notify($1, '')`, [deliveriesChannel]);
}

/** A delivery as the API shows it (no payload, no destination: those are the event's and the customer's). */
export interface DeliveryView {
  id: string;
  channel: DeliveryChannel;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: string;
  deliveredAt: string | null;
  deadLetteredAt: string | null;
}

const viewColumns = `id, channel, event_id, event_type, status, attempts, next_attempt_at, last_error, last_status_code, created_at, delivered_at, dead_lettered_at`;

interface ViewRow {
  id: string;
  channel: DeliveryChannel;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_status_code: number | null;
  created_at: Date;
  delivered_at: Date | null;
  dead_lettered_at: Date | null;
}

/** A subscription's deliveries, oldest first (ids are UUIDv7, so they sort by creation). */
export async function listDeliveries(
  db: SqlRunner,
  query: { subscriptionId: string; status?: DeliveryStatus; after?: string; limit: number },
): Promise<DeliveryView[]> {
  const result = await db.query<ViewRow>(
    `select ${viewColumns} from notification_deliveries
      where subscription_id = $1 and ($2::text is null or status = $2) and ($3::text is null or id > $3)
      order by id limit $4`,
    [query.subscriptionId, query.status ?? null, query.after ?? null, query.limit],
  );
  return result.rows.map(viewFromRow);
}

/**
 * An operator's retry of a dead-lettered webhook delivery: back to pending with a fresh set of
 * attempts, due at once. Returns the delivery, `not-found`, or `not-dead-lettered`.
 */
export async function retryDeadLettered(
  tx: SqlRunner,
  subscriptionId: string,
  deliveryId: string,
  nowMs: number,
): Promise<DeliveryView | 'not-found' | 'not-dead-lettered'> {
  const result = await tx.query<ViewRow>(
    `update notification_deliveries set status = 'pending', attempts = 0, next_attempt_at = $3::timestamptz, dead_lettered_at = null
      where id = $1 and subscription_id = $2 and status = 'dead_lettered'
      returning ${viewColumns}`,
    [deliveryId, subscriptionId, new Date(nowMs).toISOString()],
  );
  if (result.rows[0]) {
    await notifyWorkers(tx);
    return viewFromRow(result.rows[0]);
  }
  const exists = await tx.query(`select 1 from notification_deliveries where id = $1 and subscription_id = $2`, [
    deliveryId,
    subscriptionId,
  ]);
  return exists.rows.length > 0 ? 'not-dead-lettered' : 'not-found';
}

function viewFromRow(row: ViewRow): DeliveryView {
  return {
    id: row.id,
    channel: row.channel,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    lastError: row.last_error,
    lastStatusCode: row.last_status_code,
    createdAt: row.created_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    deadLetteredAt: row.dead_lettered_at?.toISOString() ?? null,
  };
}
