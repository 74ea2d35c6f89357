import type { SqlRunner } from '../storage/database.ts';
import type { ArmedTimer } from './stream-task.ts';
import type { TimeDomain } from './processor.ts';

/**
 * The SQL of a live stream processor's tables (migrations.ts): a fixed number of statements per
 * batch whatever its size (ADR-8): lock the partitions, load the timers that can fire, load the
 * keys' state, then write back the changed state, timers and partitions.
 */

/** A locked partition row: the task's time and the partition-scoped stores' JSON. */
export interface PartitionRow {
  readonly partition: number;
  readonly nowMs: number;
  readonly watermarkMs: number;
  readonly nextSequence: number;
  /** `{store: {key: encoded value}}`. */
  readonly partitionState: Record<string, Record<string, string>>;
}

export interface StoredTimer extends ArmedTimer {
  readonly partition: number;
}

/**
 * Locks the partitions' rows in ascending order, creating those missing, in one statement: an
 * upsert locks the row it conflicts with as `select … for update` would, and it also creates the
 * row of a partition's first batch, which a select could not lock.
 */
export async function lockPartitions(tx: SqlRunner, processor: string, partitions: readonly number[]): Promise<Map<number, PartitionRow>> {
  const sorted = [...new Set(partitions)].sort((a, b) => a - b);
  const result = await tx.query<{
    partition: number;
    now_ms: bigint | null;
    watermark_ms: bigint | null;
    next_sequence: bigint;
    partition_state: string;
  }>(
    `insert into stream_partitions (processor, partition)
       select $1, p from unnest($2::int4[]) as p order by p
     on conflict (processor, partition) do update set processor = excluded.processor
     returning partition, now_ms, watermark_ms, next_sequence, partition_state`,
    [processor, sorted],
  );
  return new Map(
    result.rows.map((row) => [
      row.partition,
      {
        partition: row.partition,
        nowMs: row.now_ms === null ? Number.NEGATIVE_INFINITY : Number(row.now_ms),
        watermarkMs: row.watermark_ms === null ? Number.NEGATIVE_INFINITY : Number(row.watermark_ms),
        nextSequence: Number(row.next_sequence),
        partitionState: JSON.parse(row.partition_state) as Record<string, Record<string, string>>,
      },
    ]),
  );
}

/**
 * The timers of these partitions that can fire in an instant at `nowMs` whose watermark reaches
 * at most `watermarkMs`: deadlines due by `nowMs`, event-time timers due by `watermarkMs`.
 */
export async function loadDueTimers(
  tx: SqlRunner,
  processor: string,
  partitions: readonly number[],
  nowMs: number,
  watermarkMs: number,
): Promise<StoredTimer[]> {
  const result = await tx.query<{ partition: number; key: string; name: string; domain: TimeDomain; due_ms: bigint; sequence: bigint }>(
    `select partition, key, name, domain, due_ms, sequence from stream_timers
      where processor = $1 and partition = any($2::int4[])
        and ((domain = 'processing-time' and due_ms <= $3::int8) or (domain = 'event-time' and due_ms <= $4::int8))`,
    [processor, [...partitions], String(nowMs), finiteMs(watermarkMs)],
  );
  return result.rows.map((row) => ({
    partition: row.partition,
    key: row.key,
    name: row.name,
    domain: row.domain,
    dueMs: Number(row.due_ms),
    sequence: Number(row.sequence),
  }));
}

/** The stored values of `keys` in the keyed stores, per store and partition. */
export async function loadState(
  tx: SqlRunner,
  processor: string,
  partitions: readonly number[],
  keys: readonly string[],
): Promise<{ store: string; partition: number; key: string; value: string }[]> {
  if (keys.length === 0) return [];
  const result = await tx.query<{ store: string; partition: number; key: string; value: string }>(
    `select store, partition, key, value from stream_state where processor = $1 and partition = any($2::int4[]) and key = any($3::text[])`,
    [processor, [...partitions], [...keys]],
  );
  return result.rows;
}

export interface WriteBack {
  readonly statePut: { store: string; partition: number; key: string; value: string }[];
  readonly stateDeleted: { store: string; partition: number; key: string }[];
  readonly timersArmed: StoredTimer[];
  readonly timersRemoved: { partition: number; key: string; name: string }[];
  readonly partitions: { partition: number; nowMs: number; watermarkMs: number; nextSequence: number; partitionState: string }[];
}

/** Writes back what the batch changed: at most five statements, whatever the batch's size. */
export async function writeBack(tx: SqlRunner, processor: string, changes: WriteBack): Promise<void> {
  const { statePut, stateDeleted, timersArmed, timersRemoved, partitions } = changes;
  if (statePut.length > 0)
    await tx.query(
      `insert into stream_state (processor, store, partition, key, value)
         select $1, * from unnest($2::text[], $3::int4[], $4::text[], $5::text[])
       on conflict (processor, store, partition, key) do update set value = excluded.value`,
      [
        processor,
        statePut.map((row) => row.store),
        statePut.map((row) => row.partition),
        statePut.map((row) => row.key),
        statePut.map((row) => row.value),
      ],
    );
  if (stateDeleted.length > 0)
    await tx.query(
      `delete from stream_state s using unnest($2::text[], $3::int4[], $4::text[]) as d(store, partition, key)
        where s.processor = $1 and s.store = d.store and s.partition = d.partition and s.key = d.key`,
      [processor, stateDeleted.map((row) => row.store), stateDeleted.map((row) => row.partition), stateDeleted.map((row) => row.key)],
    );
  if (timersArmed.length > 0)
    await tx.query(
      `insert into stream_timers (processor, partition, key, name, domain, due_ms, sequence)
         select $1, * from unnest($2::int4[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[])
       on conflict (processor, partition, key, name) do update set domain = excluded.domain, due_ms = excluded.due_ms, sequence = excluded.sequence`,
      [
        processor,
        timersArmed.map((timer) => timer.partition),
        timersArmed.map((timer) => timer.key),
        timersArmed.map((timer) => timer.name),
        timersArmed.map((timer) => timer.domain),
        timersArmed.map((timer) => finiteMs(timer.dueMs)),
        timersArmed.map((timer) => String(timer.sequence)),
      ],
    );
  if (timersRemoved.length > 0)
    await tx.query(
      `delete from stream_timers t using unnest($2::int4[], $3::text[], $4::text[]) as d(partition, key, name)
        where t.processor = $1 and t.partition = d.partition and t.key = d.key and t.name = d.name`,
      [
        processor,
        timersRemoved.map((timer) => timer.partition),
        timersRemoved.map((timer) => timer.key),
        timersRemoved.map((timer) => timer.name),
      ],
    );
  if (partitions.length > 0)
    await tx.query(
      `update stream_partitions p
          set now_ms = u.now_ms, watermark_ms = u.watermark_ms, next_sequence = u.next_sequence, partition_state = u.partition_state
         from unnest($2::int4[], $3::int8[], $4::int8[], $5::int8[], $6::text[]) as u(partition, now_ms, watermark_ms, next_sequence, partition_state)
        where p.processor = $1 and p.partition = u.partition`,
      [
        processor,
        partitions.map((row) => row.partition),
        partitions.map((row) => (Number.isFinite(row.nowMs) ? String(row.nowMs) : null)),
        partitions.map((row) => (Number.isFinite(row.watermarkMs) ? String(row.watermarkMs) : null)),
        partitions.map((row) => String(row.nextSequence)),
        partitions.map((row) => row.partitionState),
      ],
    );
}

/** Partitions with a deadline due by `nowMs`, ascending (for the timer worker). */
export async function partitionsWithDueDeadlines(db: SqlRunner, processor: string, nowMs: number): Promise<number[]> {
  const result = await db.query<{ partition: number }>(
    `select distinct partition from stream_timers where processor = $1 and domain = 'processing-time' and due_ms <= $2::int8 order by partition`,
    [processor, String(nowMs)],
  );
  return result.rows.map((row) => row.partition);
}

/** The earliest deadline of the processor, if any (the timer worker sleeps until it). */
export async function nextDeadlineMs(db: SqlRunner, processor: string): Promise<number | undefined> {
  const result = await db.query<{ due_ms: bigint | null }>(
    `select min(due_ms) as due_ms from stream_timers where processor = $1 and domain = 'processing-time'`,
    [processor],
  );
  const dueMs = result.rows[0]?.due_ms;
  return dueMs === null || dueMs === undefined ? undefined : Number(dueMs);
}

/** An int8 parameter for a time that may be ±Infinity (no watermark yet): clamped to the int8 range. */
function finiteMs(ms: number): string {
  if (ms === Number.NEGATIVE_INFINITY) return '-9223372036854775808';
  if (ms === Number.POSITIVE_INFINITY) return '9223372036854775807';
  return String(Math.trunc(ms));
}
