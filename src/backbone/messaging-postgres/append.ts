import type { SqlRunner } from '../storage/database.ts';
import type { OutgoingMessage } from '../messaging/event-bus.ts';
import { encodeHeaders } from '../messaging/headers.ts';
import { partitionForKey } from '../messaging/partitioner.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { appendChannel } from './schema.ts';

/** Rows per insert statement: 6 parameters each stays well under PostgreSQL's 65,535. */
const rowsPerInsert = 1000;

/**
 * Appends messages to the log inside the caller's transaction `tx`, so they become visible
 * exactly when (and only if) the caller's own writes commit: in the embedded engine the log is
 * its own transactional outbox.
 *
 * Partitions are locked in a fixed (topic, partition) order, so concurrent appenders cannot
 * deadlock; each lock is held to the end of `tx`, which is what keeps offsets visible in order.
 */
export async function appendToLog(
  tx: SqlRunner,
  messages: readonly OutgoingMessage[],
  partitionCounts: (topic: string, runner: SqlRunner) => Promise<number>,
): Promise<void> {
  if (messages.length === 0) return;
  const byPartition = new Map<string, { topic: string; partition: number; messages: OutgoingMessage[] }>();
  for (const message of messages) {
    const partition = partitionForKey(message.key, await partitionCounts(message.topic, tx));
    const id = `${message.topic}\u0000${String(partition).padStart(6, '0')}`;
    let group = byPartition.get(id);
    if (!group) byPartition.set(id, (group = { topic: message.topic, partition, messages: [] }));
    group.messages.push(message);
  }
  const topics = new Set<string>();
  for (const id of [...byPartition.keys()].sort()) {
    const { topic, partition, messages: group } = byPartition.get(id)!;
    const reserved = await tx.query<{ first_offset: bigint }>(
      `update log_partitions set next_offset = next_offset + $3
         where topic = $1 and partition = $2 returning next_offset - $3 as first_offset`,
      [topic, partition, group.length],
    );
    const firstOffset = reserved.rows[0]?.first_offset;
    if (firstOffset === undefined) {
      throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `topic ${topic} partition ${partition} does not exist in the event log`);
    }
    for (let start = 0; start < group.length; start += rowsPerInsert) {
      await insertRecords(tx, topic, partition, firstOffset + BigInt(start), group.slice(start, start + rowsPerInsert));
    }
    topics.add(topic);
  }
  for (const topic of topics) await tx.query(`select pg_notify($1, $2)`, [appendChannel, topic]);
}

async function insertRecords(tx: SqlRunner, topic: string, partition: number, firstOffset: bigint, messages: readonly OutgoingMessage[]): Promise<void> {
  const params: unknown[] = [topic, partition];
  const rows = messages.map((message, i) => {
    params.push(firstOffset + BigInt(i), message.key, message.value, encodeHeaders(message.headers));
    const p = params.length;
    return `($1, $2, $${p - 3}, $${p - 2}, $${p - 1}, $${p}::jsonb)`;
  });
  await tx.query(`insert into log_records (topic, partition, "offset", key, value, headers) values ${rows.join(', ')}`, params);
}
