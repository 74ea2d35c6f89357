import type { RecordsBatch } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { toQueuedBatches } from './record-batches.ts';

function recordBatch(
  firstOffset: bigint,
  count: number,
  options: { control?: boolean; epoch?: number; logAppendTime?: bigint } = {},
): RecordsBatch {
  return {
    firstOffset,
    length: 0,
    partitionLeaderEpoch: options.epoch ?? 0,
    magic: 2,
    crc: 0,
    attributes: (options.control ? 1 << 5 : 0) | (options.logAppendTime === undefined ? 0 : 1 << 3),
    lastOffsetDelta: count - 1,
    firstTimestamp: 1_000n,
    maxTimestamp: options.logAppendTime ?? 1_000n + BigInt(count),
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records: Array.from({ length: count }, (_, i) => ({
      length: 0,
      attributes: 0,
      timestampDelta: BigInt(i),
      offsetDelta: i,
      key: Buffer.from(`k${i}`),
      value: i === 1 ? null : Buffer.from(`v${Number(firstOffset) + i}`),
      headers: [[Buffer.from('h'), Buffer.from([i])]] as [Buffer, Buffer][],
    })),
  };
}

describe('toQueuedBatches', () => {
  it('drops records before the requested offset and splits by maxBatchRecords', () => {
    const { batches, nextFetchOffset } = toQueuedBatches('t', 2, [recordBatch(10n, 5), recordBatch(15n, 5)], 12n, 3);
    expect(batches.map((b) => b.batch.records.map((r) => r.offset))).toEqual([
      [12n, 13n, 14n],
      [15n, 16n, 17n],
      [18n, 19n],
    ]);
    expect(batches.map((b) => b.nextOffset)).toEqual([15n, 18n, 20n]);
    expect(nextFetchOffset).toBe(20n);
    expect(batches[0]!.batch).toMatchObject({ topic: 't', partition: 2 });
  });

  it('keeps keys, null values, headers and timestamps', () => {
    const { batches } = toQueuedBatches('t', 0, [recordBatch(0n, 2)], 0n, 10);
    const [first, second] = batches[0]!.batch.records;
    expect(first).toEqual({
      topic: 't',
      partition: 0,
      offset: 0n,
      key: Buffer.from('k0'),
      value: Buffer.from('v0'),
      headers: { h: Buffer.from([0]) },
      timestampMs: 1000,
    });
    expect(second!.value).toBeNull();
    expect(second!.timestampMs).toBe(1001);
  });

  it('uses the broker append time when the topic says so', () => {
    const { batches } = toQueuedBatches('t', 0, [recordBatch(0n, 2, { logAppendTime: 5_000n })], 0n, 10);
    expect(batches[0]!.batch.records.map((r) => r.timestampMs)).toEqual([5000, 5000]);
  });

  it('moves past transaction markers without delivering them', () => {
    const { batches, nextFetchOffset } = toQueuedBatches('t', 0, [recordBatch(0n, 2), recordBatch(2n, 1, { control: true })], 0n, 10);
    expect(batches.flatMap((b) => b.batch.records.map((r) => r.offset))).toEqual([0n, 1n]);
    expect(batches.at(-1)!.nextOffset).toBe(2n);
    expect(nextFetchOffset).toBe(3n);
    expect(toQueuedBatches('t', 0, [recordBatch(7n, 1, { control: true })], 7n, 10)).toEqual({ batches: [], nextFetchOffset: 8n });
  });

  it('commits with the leader epoch of the batch that holds the last record', () => {
    const { batches } = toQueuedBatches('t', 0, [recordBatch(0n, 2, { epoch: 3 }), recordBatch(2n, 2, { epoch: 4 })], 0n, 3);
    expect(batches.map((b) => b.leaderEpoch)).toEqual([4, 4]);
    expect(
      toQueuedBatches('t', 0, [recordBatch(0n, 2, { epoch: 3 }), recordBatch(2n, 2, { epoch: 4 })], 0n, 2).batches.map(
        (b) => b.leaderEpoch,
      ),
    ).toEqual([3, 4]);
  });

  it('returns nothing for an empty fetch', () => {
    expect(toQueuedBatches('t', 0, [], 5n, 10)).toEqual({ batches: [], nextFetchOffset: null });
  });
});
