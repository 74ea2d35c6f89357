import { topicPartitionKey, type LogRecord, type TopicPartition } from '../messaging/event-bus.ts';
import type { Database, SqlRunner } from '../storage/database.ts';
import { decodeHeaders, encodeHeaders } from '../messaging/headers.ts';

/** A key of a topic whose earliest unfinished event is in a retry tier (non-blocking retry). */
export interface ParkedKey {
  /** The event's origin topic (a retry-tier record's source topic). */
  topic: string;
  key: Buffer;
}

/** An event that waited behind its parked key, as it was read from its origin topic. */
export interface ParkedEvent {
  partition: number;
  offset: bigint;
  value: Buffer | null;
  headers: LogRecord['headers'];
}

/** Which keys of a batch are parked, found under their row locks. */
export class ParkedKeySet {
  readonly #keysByTopic = new Map<string, Set<string>>();

  add({ topic, key }: ParkedKey): void {
    let keys = this.#keysByTopic.get(topic);
    if (!keys) this.#keysByTopic.set(topic, (keys = new Set()));
    keys.add(key.toString('hex'));
  }

  has({ topic, key }: ParkedKey): boolean {
    return this.#keysByTopic.get(topic)?.has(key.toString('hex')) ?? false;
  }
}

/** What a batch's transaction learns in its first statement (see `ConsumerStore.lockBatchState`). */
export interface BatchState {
  /** Next offset per `topicPartitionKey`, for the partitions with a stored position. */
  positions: Map<string, bigint>;
  /** The event ids asked for that this consumer has processed before. */
  processed: Set<string>;
  /** The keys asked for that are parked. */
  parked: ParkedKeySet;
}

/**
 * Every statement a consumer makes on its own tables (migrations.ts): its positions, the ids it
 * processed, its parked keys and events. Each method is ONE statement, whatever the number of
 * partitions, ids or events it is given: the batch processor's cost per batch is the number of
 * calls it makes, not the size of the batch (see batch-processor.unit.spec.ts). Parameters travel as
 * arrays, one per column, unnested in SQL.
 */
export class ConsumerStore {
  /** The consumer's name: the owner of its processed ids and parked keys. */
  readonly #consumer: string;
  /** The name positions are stored under (the retry-tier subscription has its own). */
  readonly #positionsOwner: string;

  constructor(consumer: string, positionsOwner: string) {
    this.#consumer = consumer;
    this.#positionsOwner = positionsOwner;
  }

  /**
   * Locks the stored positions of the partitions (in one order: topic, partition), finds which of
   * `eventIds` this consumer has processed before and which of `keys` are parked, locking those
   * too (in the order topic, key; see `takeNextParked`): one round trip.
   *
   * The processed ids are looked up one primary-key probe per id (`lateral … offset 0` keeps the
   * planner from turning the lookup into a join). With `event_id = any(…)` the planner, before the
   * table's first ANALYZE, took `consumer = …` for selective and read every id the consumer ever
   * processed on every batch: 2,700 index entries per payment in the first minute of a bench run.
   */
  async lockBatchState(
    tx: SqlRunner,
    partitions: readonly TopicPartition[],
    eventIds: readonly string[],
    keys: readonly ParkedKey[] = [],
  ): Promise<BatchState> {
    const params: unknown[] = [
      this.#positionsOwner,
      partitions.map((tp) => tp.topic),
      partitions.map((tp) => tp.partition),
      this.#consumer,
      eventIds,
    ];
    if (keys.length > 0)
      params.push(
        keys.map((parked) => parked.topic),
        keys.map((parked) => parked.key),
      );
    const result = await tx.query<{
      topic: string | null;
      partition: number | null;
      next_offset: bigint | null;
      event_id: string | null;
      parked_key: Buffer | null;
    }>(
      `with positions as (
         select topic, partition, next_offset from consumer_positions
          where consumer = $1 and (topic, partition) in (select * from unnest($2::text[], $3::int[]))
          order by topic, partition for update)${
            keys.length > 0
              ? `,
       parked as (
         select topic, key from consumer_parked_keys
          where consumer = $4 and (topic, key) in (select * from unnest($6::text[], $7::bytea[]))
          order by topic, key for update)`
              : ''
          }
       select topic, partition, next_offset, null::text as event_id, null::bytea as parked_key from positions
       union all
       select null, null, null, p.event_id, null
         from unnest($5::text[]) as e(event_id)
         cross join lateral (select event_id from consumer_processed_events where consumer = $4 and event_id = e.event_id offset 0) p${
           keys.length > 0
             ? `
       union all
       select topic, null, null, null, key from parked`
             : ''
         }`,
      params,
    );
    const state: BatchState = { positions: new Map(), processed: new Set(), parked: new ParkedKeySet() };
    for (const row of result.rows) {
      if (row.event_id !== null) state.processed.add(row.event_id);
      else if (row.parked_key !== null) state.parked.add({ topic: row.topic!, key: Buffer.from(row.parked_key) });
      else state.positions.set(topicPartitionKey({ topic: row.topic!, partition: row.partition! }), row.next_offset!);
    }
    return state;
  }

  /** Stores the partitions' new positions and records `processedIds` as processed: one round trip. */
  async storePositions(
    tx: SqlRunner,
    positions: readonly (TopicPartition & { nextOffset: bigint })[],
    processedIds: readonly string[] = [],
  ): Promise<void> {
    await tx.query(
      `with processed as (insert into consumer_processed_events (consumer, event_id) select $5, unnest($6::text[]) on conflict do nothing)
       insert into consumer_positions (consumer, topic, partition, next_offset)
         select $1, topic, partition, next_offset from unnest($2::text[], $3::int[], $4::bigint[]) as p(topic, partition, next_offset)
         on conflict (consumer, topic, partition) do update set next_offset = greatest(consumer_positions.next_offset, excluded.next_offset), updated_at = now()`,
      [
        this.#positionsOwner,
        positions.map((p) => p.topic),
        positions.map((p) => p.partition),
        positions.map((p) => p.nextOffset.toString()),
        this.#consumer,
        processedIds,
      ],
    );
  }

  /** The positions stored under `owner` for `partitions` (on assignment, outside any batch). */
  static async storedPositions(db: Database, owner: string, partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
    const result = await db.query<{ topic: string; partition: number; next_offset: bigint }>(
      `select topic, partition, next_offset from consumer_positions where consumer = $1 and topic = any($2::text[])`,
      [owner, [...new Set(partitions.map((tp) => tp.topic))]],
    );
    const wanted = new Set(partitions.map(topicPartitionKey));
    return new Map(result.rows.filter((row) => wanted.has(topicPartitionKey(row))).map((row) => [topicPartitionKey(row), row.next_offset]));
  }

  /** Parks `key`: later events of it wait (idempotent). */
  async parkKey(tx: SqlRunner, { topic, key }: ParkedKey): Promise<void> {
    await tx.query(`insert into consumer_parked_keys (consumer, topic, key) values ($1, $2, $3) on conflict do nothing`, [
      this.#consumer,
      topic,
      key,
    ]);
  }

  /** Stores events behind their parked keys, ids in the order given (offset order): one statement. */
  async parkEvents(tx: SqlRunner, events: readonly { origin: string; record: LogRecord }[]): Promise<void> {
    if (events.length === 0) return;
    await tx.query(
      `insert into consumer_parked_events (consumer, topic, key, value, headers, source_partition, source_offset)
       select $1, topic, key, value, headers::jsonb, source_partition, source_offset
         from unnest($2::text[], $3::bytea[], $4::bytea[], $5::text[], $6::int[], $7::bigint[]) with ordinality as p(topic, key, value, headers, source_partition, source_offset, position)
        order by position`,
      [
        this.#consumer,
        events.map((event) => event.origin),
        events.map((event) => event.record.key ?? Buffer.alloc(0)),
        events.map((event) => event.record.value),
        events.map((event) => encodeHeaders(event.record.headers)),
        events.map((event) => event.record.partition),
        events.map((event) => event.record.offset.toString()),
      ],
    );
  }

  /**
   * Locks `key` and takes its earliest parked event out; unparks the key when none is left.
   * `not-parked` when the key is not parked (nothing waits behind it). The key's row lock orders
   * this against the main subscription parking a new event of the key at the same moment.
   */
  async takeNextParked(tx: SqlRunner, { topic, key }: ParkedKey): Promise<ParkedEvent | 'not-parked' | 'unparked'> {
    const locked = await tx.query(`select 1 from consumer_parked_keys where consumer = $1 and topic = $2 and key = $3 for update`, [
      this.#consumer,
      topic,
      key,
    ]);
    if (locked.rows.length === 0) return 'not-parked';
    const next = await tx.query<{ value: Buffer | null; headers: unknown; source_partition: number; source_offset: bigint }>(
      `delete from consumer_parked_events where id = (
         select id from consumer_parked_events where consumer = $1 and topic = $2 and key = $3 order by id limit 1)
       returning value, headers, source_partition, source_offset`,
      [this.#consumer, topic, key],
    );
    const row = next.rows[0];
    if (row) return { partition: row.source_partition, offset: row.source_offset, value: row.value, headers: decodeHeaders(row.headers) };
    await tx.query(`delete from consumer_parked_keys where consumer = $1 and topic = $2 and key = $3`, [this.#consumer, topic, key]);
    return 'unparked';
  }

  /** Deletes processed event ids recorded before `beforeMs` (of every consumer); returns how many. */
  static async deleteProcessedIdsBefore(db: Database, beforeMs: number): Promise<number> {
    const result = await db.query(`delete from consumer_processed_events where processed_at < to_timestamp($1::float8 / 1000.0)`, [
      beforeMs,
    ]);
    return result.rowCount;
  }
}
