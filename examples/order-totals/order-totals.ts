// The service of the example: an order-totals projection. It reads `orders.placed.v1`, keeps a
// running total per customer and currency in a table of its own, and announces every new total on
// `customers.total-changed.v1`. Nothing here knows which engine it runs on.
import type { Database, Migration } from '../../src/backbone/storage/index.ts';
import type { ConsumerOptions, EventHandler } from '../../src/backbone/consumer/index.ts';
import { defineTopic, withFailureTopics, type TopicSpec } from '../../src/backbone/topics/index.ts';

export const ordersPlacedTopic = 'orders.placed.v1';
export const totalChangedTopic = 'customers.total-changed.v1';

/** What the producer publishes. Money is exact: minor units (cents) as a bigint, never a float. */
export interface OrderPlaced {
  orderId: string;
  customerId: string;
  currency: string;
  amountMinor: bigint;
}

/** What the projection emits after each order it applied. */
export interface TotalChanged {
  customerId: string;
  currency: string;
  totalMinor: bigint;
  orderCount: number;
}

/** Blocking retries: the partition waits 1 s, then 5 s, and then the event is dead-lettered. */
const retryDelaysMs = [1_000, 5_000];

/**
 * Topics as code, both keyed by customer so that one customer's events stay in order; the topic
 * this service reads comes with its dead-letter topic `orders.placed.v1.dlq` (blocking retries
 * need no retry topics). Three partitions are plenty for an example; a real topic starts with
 * headroom (`topicDefaults.partitions`).
 */
export function orderTotalsTopics(): TopicSpec[] {
  return [
    ...withFailureTopics(defineTopic({ name: ordersPlacedTopic, partitions: 3 }), { retryDelaysMs: [] }),
    defineTopic({ name: totalChangedTopic, partitions: 3 }),
  ];
}

/** The service owns its table; `migrate(db, 'order-totals', ...)` applies each migration once. */
export const orderTotalsMigrations: Migration[] = [
  {
    id: 1,
    name: 'order totals per customer and currency',
    sql: `create table order_totals (
            customer_id text not null,
            currency text not null,
            total_minor int8 not null,
            order_count int4 not null,
            primary key (customer_id, currency)
          )`,
  },
];

/**
 * The consumer. Its handler runs inside the batch's database transaction: the upsert, the emitted
 * event (the outbox) and the consumer's position commit together or not at all. The upsert adds
 * the amount, so it is NOT idempotent by itself: applying an order twice would count it twice.
 * Exactly-once comes from the backbone, which records each applied event id in the same
 * transaction and drops an event it has seen (`deduplication: 'processed-ids'`, the default).
 */
export function orderTotalsConsumer(): ConsumerOptions {
  const handler: EventHandler<OrderPlaced> = async (event, { tx, emit }) => {
    const order = event.payload;
    const result = await tx.query<{ total_minor: bigint; order_count: number }>(
      `insert into order_totals (customer_id, currency, total_minor, order_count) values ($1, $2, $3, 1)
       on conflict (customer_id, currency) do update
         set total_minor = order_totals.total_minor + excluded.total_minor, order_count = order_totals.order_count + 1
       returning total_minor, order_count`,
      [order.customerId, order.currency, order.amountMinor],
    );
    const row = result.rows[0]!;
    const changed: TotalChanged = {
      customerId: order.customerId,
      currency: order.currency,
      totalMinor: row.total_minor,
      orderCount: row.order_count,
    };
    // Published if and only if this transaction commits; its envelope names the order's event as
    // its cause and keeps the order's correlation id.
    emit({ topic: totalChangedTopic, eventType: 'customers.total-changed', key: order.customerId, payload: changed });
  };
  return {
    name: 'order-totals',
    topics: [ordersPlacedTopic],
    // The payload is what the codec decoded from a topic this service declared: an OrderPlaced.
    handler: handler as EventHandler,
    retry: { mode: 'blocking', delaysMs: retryDelaysMs },
  };
}

/** The projection's content, ordered, for printing and for the test. */
export async function readTotals(db: Database): Promise<TotalChanged[]> {
  const result = await db.query<{ customer_id: string; currency: string; total_minor: bigint; order_count: number }>(
    `select customer_id, currency, total_minor, order_count from order_totals order by customer_id, currency`,
  );
  return result.rows.map((row) => ({
    customerId: row.customer_id,
    currency: row.currency,
    totalMinor: row.total_minor,
    orderCount: row.order_count,
  }));
}
