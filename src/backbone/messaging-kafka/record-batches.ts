import type { RecordsBatch } from '@platformatic/kafka';
import type { LogRecord, MessageHeaders, RecordBatch } from '../messaging/event-bus.ts';

/** A batch waiting for its handler, with what its commit needs. */
export interface QueuedBatch {
  batch: RecordBatch;
  /** The leader epoch of the batch's last record, sent with the commit (KIP-320 fencing). */
  leaderEpoch: number;
  /** The group position after the batch: its last offset + 1. */
  nextOffset: bigint;
}

export interface ConvertedFetch {
  batches: QueuedBatch[];
  /** Where the next fetch starts: past every record batch the broker returned (control ones too), or `null` if it returned none. */
  nextFetchOffset: bigint | null;
}

const isControlBatch = 1 << 5;
const isLogAppendTime = 1 << 3;

/**
 * Turns the record batches a fetch returned for one partition into handler batches of at most
 * `maxBatchRecords` records. Records before `fromOffset` are dropped: the broker answers with whole
 * record batches, so the first one may start before the offset asked for. Transaction markers
 * (control batches) are never delivered but the position moves past them, or the partition would
 * stall on a marker forever.
 */
export function toQueuedBatches(
  topic: string,
  partition: number,
  fetched: readonly RecordsBatch[],
  fromOffset: bigint,
  maxBatchRecords: number,
): ConvertedFetch {
  const batches: QueuedBatch[] = [];
  let nextFetchOffset: bigint | null = null;
  let records: LogRecord[] = [];
  let leaderEpoch = -1;
  const flush = () => {
    if (records.length === 0) return;
    batches.push({ batch: { topic, partition, records }, leaderEpoch, nextOffset: records[records.length - 1]!.offset + 1n });
    records = [];
  };
  for (const recordBatch of fetched) {
    const lastOffset = recordBatch.firstOffset + BigInt(recordBatch.lastOffsetDelta);
    if (nextFetchOffset === null || lastOffset + 1n > nextFetchOffset) nextFetchOffset = lastOffset + 1n;
    if (recordBatch.attributes & isControlBatch) continue;
    const appendTime = (recordBatch.attributes & isLogAppendTime) !== 0;
    for (const record of recordBatch.records) {
      const offset = recordBatch.firstOffset + BigInt(record.offsetDelta);
      if (offset < fromOffset) continue;
      records.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value,
        headers: toHeaders(record.headers),
        timestampMs: Number(appendTime ? recordBatch.maxTimestamp : recordBatch.firstTimestamp + record.timestampDelta),
      });
      leaderEpoch = recordBatch.partitionLeaderEpoch;
      if (records.length >= maxBatchRecords) flush();
    }
  }
  flush();
  return { batches, nextFetchOffset };
}

/** Header names are UTF-8; a repeated name keeps its last value (the port's names are unique). */
function toHeaders(entries: readonly [Buffer | null, Buffer | null][]): MessageHeaders {
  const headers: MessageHeaders = {};
  for (const [name, value] of entries) {
    if (name === null) continue;
    headers[name.toString('utf8')] = value ?? Buffer.alloc(0);
  }
  return headers;
}
