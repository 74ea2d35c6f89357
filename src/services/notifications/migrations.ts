import type { Migration } from '../../backbone/storage/migrate.ts';

/** Woken (NOTIFY, on commit) when deliveries become due at once: new ones, operator retries. */
export const deliveriesChannel = 'notification_deliveries';

/**
 * The notification tables (migration scope `notifications`).
 *
 * - `webhook_subscriptions`: where to POST which event types. The signing secret is stored in
 *   clear because signing needs it (a hash would not do); it is served once, at creation, and
 *   never logged. A deleted subscription keeps its row (`deleted_at`) so its delivery history stays.
 * - `notification_deliveries`: one row per (webhook subscription, event) and per (email or SMS,
 *   event); the unique indexes make the consumer's inserts idempotent. The delivery worker claims
 *   due rows (`status = 'pending' and next_attempt_at <= now`), and a claim is a lease: it moves
 *   `next_attempt_at` past the send's timeout, so a worker that dies mid-send leaves the row to be
 *   claimed again, and `claim_token` keeps a late worker from overwriting a newer claim's outcome.
 */
export const notificationsMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'webhook subscriptions and notification deliveries',
    sql: `
      create table webhook_subscriptions (
        id text primary key,
        url text not null,
        event_types text[],
        secret text not null,
        created_at timestamptz not null,
        deleted_at timestamptz
      );

      create table notification_deliveries (
        id text primary key,
        channel text not null check (channel in ('webhook', 'email', 'sms')),
        subscription_id text references webhook_subscriptions (id),
        destination text,
        event_id text not null,
        event_type text not null,
        correlation_id text not null,
        occurred_at text not null,
        payload_json text not null,
        status text not null default 'pending' check (status in ('pending', 'delivered', 'dead_lettered', 'cancelled')),
        attempts int not null default 0,
        next_attempt_at timestamptz not null,
        claim_token text,
        last_error text,
        last_status_code int,
        created_at timestamptz not null,
        delivered_at timestamptz,
        dead_lettered_at timestamptz,
        check ((channel = 'webhook') = (subscription_id is not null)),
        check ((channel = 'webhook') = (destination is null))
      );
      create unique index notification_deliveries_webhook_once on notification_deliveries (subscription_id, event_id) where subscription_id is not null;
      create unique index notification_deliveries_message_once on notification_deliveries (channel, event_id) where subscription_id is null;
      create index notification_deliveries_due on notification_deliveries (next_attempt_at) where status = 'pending';
      create index notification_deliveries_by_subscription on notification_deliveries (subscription_id, status, id) where subscription_id is not null;
    `,
  },
  {
    id: 2,
    // A block is told to the customer as a PaymentRejected (docs/payments.md, "What a customer is
    // told"); a subscription to PaymentBlocked keeps hearing about blocks under that name.
    name: 'webhook subscriptions to PaymentBlocked follow it as PaymentRejected',
    sql: `
      update webhook_subscriptions s
         set event_types = array(select distinct case when t = 'PaymentBlocked' then 'PaymentRejected' else t end from unnest(s.event_types) as t order by 1)
       where 'PaymentBlocked' = any(s.event_types);
    `,
  },
];
