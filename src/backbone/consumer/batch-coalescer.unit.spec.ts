import { describe, expect, it } from 'vitest';
import type { RecordBatch } from '../messaging/event-bus.ts';
import { BatchCoalescer } from './batch-coalescer.ts';

/** A batch of `size` records (the coalescer only counts them). */
const batch = (partition: number, size = 1): RecordBatch => ({
  topic: 't',
  partition,
  records: Array.from({ length: size }, () => ({}) as RecordBatch['records'][number]),
});

/** A coalescer whose joint transactions record their partitions and stay open until released. */
function heldCoalescer(options: ConstructorParameters<typeof BatchCoalescer>[2] = {}) {
  const joint: number[][] = [];
  const releases: (() => void)[] = [];
  const coalescer = new BatchCoalescer(
    async (batches) => {
      joint.push(batches.map((b) => b.partition));
      await new Promise<void>((resolve) => releases.push(resolve));
    },
    async () => expect.unreachable('nothing fails'),
    options,
  );
  return { joint, releases, coalescer };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Releases every held transaction, those that start meanwhile too, until `done` settles. */
async function releaseUntilDone(releases: (() => void)[], done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.finally(() => (settled = true));
  while (!settled) {
    releases.splice(0).forEach((release) => release());
    await nextTurn();
  }
  await done;
}

describe('BatchCoalescer', () => {
  it('applies the first batch at once, alone, and the ones that arrive meanwhile together', async () => {
    const { joint, releases, coalescer } = heldCoalescer({ maxConcurrent: 1 });
    const done = [0, 1, 2, 3].map((partition) => coalescer.submit(batch(partition)));
    await nextTurn();
    expect(joint).toEqual([[0]]);
    await releaseUntilDone(releases, Promise.all(done));
    expect(joint).toEqual([[0], [1, 2, 3]]);
  });

  it('runs up to maxConcurrent joint transactions at once', async () => {
    const { joint, releases, coalescer } = heldCoalescer({ maxConcurrent: 2, concurrentFrom: 1 });
    const done = [0, 1, 2, 3].map((partition) => coalescer.submit(batch(partition)));
    await nextTurn();
    expect(joint).toEqual([[0], [1]]);
    releases.shift()!();
    await nextTurn();
    expect(joint).toEqual([[0], [1], [2, 3]]);
    await releaseUntilDone(releases, Promise.all(done));
  });

  it('starts a second joint transaction beside the first only once concurrentFrom records wait (default 100)', async () => {
    const { joint, releases, coalescer } = heldCoalescer();
    const done = [coalescer.submit(batch(0, 5)), coalescer.submit(batch(1, 60)), coalescer.submit(batch(2, 39))];
    await nextTurn();
    // 99 records wait: they wait for the transaction in flight.
    expect(joint).toEqual([[0]]);
    done.push(coalescer.submit(batch(3, 1)));
    await nextTurn();
    expect(joint).toEqual([[0], [1, 2, 3]]);
    await releaseUntilDone(releases, Promise.all(done));
  });

  it('hands each batch of a failed joint transaction to the per-batch path, and does not wait for them', async () => {
    const joint: number[][] = [];
    const alone: number[] = [];
    let releaseAlone!: () => void;
    const aloneHeld = new Promise<void>((resolve) => (releaseAlone = resolve));
    const coalescer = new BatchCoalescer(
      async (batches) => {
        joint.push(batches.map((b) => b.partition));
        if (batches.some((b) => b.partition === 1)) throw new Error('a record of partition 1 failed');
      },
      async (b) => {
        alone.push(b.partition);
        if (b.partition === 1) await aloneHeld; // e.g. waiting out a blocking retry
        if (b.partition === 2) throw new Error('the database went away');
      },
      { maxConcurrent: 1 },
    );
    const first = coalescer.submit(batch(0));
    const second = coalescer.submit(batch(1));
    const third = coalescer.submit(batch(2));
    await first;
    await expect(third).rejects.toThrow('the database went away');
    // Partition 1 is still retrying on its own; another partition's batch is not held up by it.
    await coalescer.submit(batch(3));
    expect(joint).toEqual([[0], [1, 2], [3]]);
    releaseAlone();
    await second;
    expect(alone.sort()).toEqual([1, 2]);
  });

  it('joins at most maxBatches batches in one transaction', async () => {
    const joint: number[][] = [];
    const coalescer = new BatchCoalescer(
      async (batches) => void joint.push(batches.map((b) => b.partition)),
      async () => {},
      { maxBatches: 2, maxConcurrent: 1 },
    );
    await Promise.all([0, 1, 2, 3, 4].map((partition) => coalescer.submit(batch(partition))));
    expect(joint).toEqual([[0], [1, 2], [3, 4]]);
  });

  it('keeps a joint transaction within maxRecords, but always takes at least one batch', async () => {
    const { joint, releases, coalescer } = heldCoalescer({ maxRecords: 10, maxConcurrent: 1 });
    const done = [batch(0, 1), batch(1, 6), batch(2, 4), batch(3, 12), batch(4, 1)].map((b) => coalescer.submit(b));
    await releaseUntilDone(releases, Promise.all(done));
    expect(joint).toEqual([[0], [1, 2], [3], [4]]);
  });
});
