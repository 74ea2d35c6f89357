import type { Database, SqlRunner } from '../../backbone/storage/database.ts';
import type { DeliveredEvent, DeliveryChannel } from './deliveries.ts';

/** A delivery a worker has claimed, with what it needs to send it. */
export interface ClaimedDelivery extends DeliveredEvent {
  id: string;
  channel: DeliveryChannel;
  /** This attempt's number, 1 for the first. */
  attempt: number;
  claimToken: string;
  destination: string | null;
  /** For webhooks: the endpoint, or undefined when the subscription has been deleted meanwhile. */
  webhook?: { subscriptionId: string; url: string; secret: string };
}

/**
 * Claims up to `limit` due deliveries in one short transaction. `for update skip locked` lets
 * several workers (processes) claim at once without waiting for or taking each other's rows; the
 * claim moves `next_attempt_at` to `leaseUntilMs`, so the row is not due again while it is being
 * sent, and becomes due again if this worker dies before recording the outcome.
 */
export async function claimDue(
  db: Database,
  options: { nowMs: number; leaseUntilMs: number; limit: number; claimToken: string },
): Promise<ClaimedDelivery[]> {
  return db.transaction(async (tx) => {
    const claimed = await tx.query<ClaimRow>(
      `with due as (
         select id from notification_deliveries
          where status = 'pending' and next_attempt_at <= $1::timestamptz
          order by next_attempt_at, id limit $2
          for update skip locked)
       update notification_deliveries d
          set attempts = d.attempts + 1, next_attempt_at = $3::timestamptz, claim_token = $4
         from due where d.id = due.id
       returning d.id, d.channel, d.subscription_id, d.destination, d.event_id, d.event_type, d.correlation_id, d.occurred_at, d.payload_json, d.attempts`,
      [new Date(options.nowMs).toISOString(), options.limit, new Date(options.leaseUntilMs).toISOString(), options.claimToken],
    );
    const endpoints = await liveEndpoints(tx, claimed.rows);
    return claimed.rows.map((row) => claimedFromRow(row, options.claimToken, endpoints));
  });
}

/** How a claimed attempt ended. */
export type AttemptOutcome =
  | { kind: 'delivered'; statusCode?: number }
  | { kind: 'retry'; retryAtMs: number; error: string; statusCode?: number }
  | { kind: 'dead-letter'; error: string; statusCode?: number }
  | { kind: 'cancelled' };

/**
 * Records an attempt's outcome, only if the claim is still this worker's (a lease that ran out
 * and was claimed again belongs to the newer claim). Returns whether it was recorded.
 */
export async function recordOutcome(db: SqlRunner, delivery: ClaimedDelivery, outcome: AttemptOutcome, nowMs: number): Promise<boolean> {
  const now = new Date(nowMs).toISOString();
  const mine = `where id = $1 and claim_token = $2 and status = 'pending'`;
  const key = [delivery.id, delivery.claimToken];
  let result;
  switch (outcome.kind) {
    case 'delivered':
      result = await db.query(
        `update notification_deliveries set status = 'delivered', delivered_at = $3::timestamptz, last_error = null, last_status_code = $4, claim_token = null ${mine}`,
        [...key, now, outcome.statusCode ?? null],
      );
      break;
    case 'retry':
      result = await db.query(
        `update notification_deliveries set next_attempt_at = $3::timestamptz, last_error = $4, last_status_code = $5, claim_token = null ${mine}`,
        [...key, new Date(outcome.retryAtMs).toISOString(), outcome.error, outcome.statusCode ?? null],
      );
      break;
    case 'dead-letter':
      result = await db.query(
        `update notification_deliveries set status = 'dead_lettered', dead_lettered_at = $3::timestamptz, last_error = $4, last_status_code = $5, claim_token = null ${mine}`,
        [...key, now, outcome.error, outcome.statusCode ?? null],
      );
      break;
    case 'cancelled':
      result = await db.query(`update notification_deliveries set status = 'cancelled', claim_token = null ${mine}`, key);
      break;
  }
  return result.rowCount > 0;
}

/** When the next pending delivery falls due, or undefined when none is pending. */
export async function nextDueAtMs(db: SqlRunner): Promise<number | undefined> {
  const result = await db.query<{ due: Date | null }>(
    `select min(next_attempt_at) as due from notification_deliveries where status = 'pending'`,
  );
  return result.rows[0]?.due?.getTime() ?? undefined;
}

interface ClaimRow {
  id: string;
  channel: DeliveryChannel;
  subscription_id: string | null;
  destination: string | null;
  event_id: string;
  event_type: string;
  correlation_id: string;
  occurred_at: string;
  payload_json: string;
  attempts: number;
}

type Endpoints = Map<string, { url: string; secret: string }>;

async function liveEndpoints(tx: SqlRunner, rows: readonly ClaimRow[]): Promise<Endpoints> {
  const ids = [...new Set(rows.flatMap((row) => (row.subscription_id ? [row.subscription_id] : [])))];
  if (ids.length === 0) return new Map();
  const result = await tx.query<{ id: string; url: string; secret: string }>(
    `select id, url, secret from webhook_subscriptions where id = any($1::text[]) and deleted_at is null`,
    [ids],
  );
  return new Map(result.rows.map((row) => [row.id, { url: row.url, secret: row.secret }]));
}

function claimedFromRow(row: ClaimRow, claimToken: string, endpoints: Endpoints): ClaimedDelivery {
  const endpoint = row.subscription_id ? endpoints.get(row.subscription_id) : undefined;
  return {
    id: row.id,
    channel: row.channel,
    attempt: row.attempts,
    claimToken,
    destination: row.destination,
    eventId: row.event_id,
    eventType: row.event_type,
    correlationId: row.correlation_id,
    occurredAt: row.occurred_at,
    payloadJson: row.payload_json,
    ...(endpoint && row.subscription_id ? { webhook: { subscriptionId: row.subscription_id, ...endpoint } } : {}),
  };
}
