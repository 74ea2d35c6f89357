import type { SqlRunner } from '../storage/database.ts';
import type { OutgoingMessage } from '../messaging/event-bus.ts';
import { encodeHeaders } from '../messaging/headers.ts';
import { partitionForKey } from '../messaging/partitioner.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { appendChannel } from './migrations.ts';

/**
 * Appends messages to the log inside the caller's transaction `tx`, so they become visible
 * exactly when (and only if) the caller's own writes commit: in the embedded engine the log is
 * its own transactional outbox.
 *
 * One statement, whatever the number of messages and partitions (on PGlite every statement is a
 * round trip to its thread, on the one connection every transaction shares): it locks the
 * partitions' rows in a fixed (topic, partition) order, so concurrent appenders cannot deadlock,
 * reserves each partition's offsets, inserts the records with offsets in the messages' order, and
 * notifies each topic's readers (delivered at commit). Each lock is held to the end of `tx`, which
 * is what keeps offsets visible in order.
 */
export async function appendToLog(
  tx: SqlRunner,
  messages: readonly OutgoingMessage[],
  partitionCounts: (topic: string, runner: SqlRunner) => Promise<number>,
): Promise<void> {
  if (messages.length === 0) return;
  const partitions: number[] = [];
  for (const message of messages) partitions.push(partitionForKey(message.key, await partitionCounts(message.topic, tx)));
  const result = await tx.query<{ wanted: number; reserved: number }>(
    `with m as (
       select * from unnest($1::text[], $2::int[], $3::bytea[], $4::bytea[], $5::text[]) with ordinality as m(topic, partition, key, value, headers, position)),
     wanted as (
       select topic, partition, count(*) as n from m group by topic, partition),
     locked as (
       select p.topic, p.partition, w.n from log_partitions p join wanted w using (topic, partition)
        order by p.topic, p.partition for update of p),
     reserved as (
       update log_partitions p set next_offset = p.next_offset + l.n
         from locked l where p.topic = l.topic and p.partition = l.partition
       returning p.topic, p.partition, p.next_offset - l.n as first_offset),
     appended as (
       insert into log_records (topic, partition, "offset", key, value, headers)
       select m.topic, m.partition, r.first_offset + row_number() over (partition by m.topic, m.partition order by m.position) - 1, m.key, m.value, m.headers::jsonb
         from m join reserved r using (topic, partition))
     select (select count(*) from wanted)::int as wanted, (select count(*) from reserved)::int as reserved,
            (select count(pg_notify($6, topic)) from (select distinct topic from m) t)::int as notified`,
    [
      messages.map((m) => m.topic),
      partitions,
      messages.map((m) => m.key),
      messages.map((m) => m.value),
      messages.map((m) => encodeHeaders(m.headers)),
      appendChannel,
    ],
  );
  const { wanted, reserved } = result.rows[0]!;
  if (reserved !== wanted) {
    const topics = [...new Set(messages.map((m) => m.topic))].join(', ');
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `a partition of ${topics} does not exist in the event log`);
  }
}
