import type { RecordBatch } from '../messaging/event-bus.ts';
import { GroupCommit } from '../concurrency/group-commit.ts';

/**
 * Joins the batches of different partitions that reach one consumer at the same time into one
 * database transaction. A fetch usually returns records of many partitions, and the bus hands
 * each partition's batch over on its own; applied one by one, every partition would pay its own
 * transaction and commit, which at moderate load means a commit per event. Here the first batch
 * is applied at once, alone; batches that arrive while a transaction is open wait for it and are
 * applied together in the next one (up to `maxBatches` batches and `maxRecords` records, default 64
 * and 1,000), so the transaction size follows the load, with no timer. Up to
 * `maxConcurrent` joint transactions run at once (default 2), so the consumer prepares the next
 * one while the database commits the last, but a second one starts only once `concurrentFrom`
 * records wait (default 100): below that, the records wait for the transaction in flight and go
 * together in the next, so a stage that sees an event at a time does not open a second transaction
 * for each (measured at 50 payments/s: end-to-end p50 1.2–1.4 s → 0.8–1.1 s, BENCHMARKS.md).
 *
 * The joint transaction is all or nothing. If it fails (a record's handler failed, a deadlock,
 * the database went away), each of its batches is handed to `alone`, the processor's per-batch
 * path, which deals with failures record by record, with retries and dead letters, as if the
 * batches had never been joined. Those run outside the joint slot, concurrently, as the bus would
 * have run them, so a partition waiting out a blocking retry never holds up the others.
 *
 * Each batch's promise resolves when its records are committed, which is when the bus may commit
 * the partition's offset and hand over its next batch: the bus's ordering guarantees are kept, and
 * a joint transaction never holds two batches of one partition.
 */
export class BatchCoalescer {
  readonly #alone: (batch: RecordBatch) => Promise<void>;
  /** Each batch learns whether its joint transaction committed; a failure frees the slot at once. */
  readonly #joint: GroupCommit<RecordBatch, boolean>;

  constructor(
    together: (batches: readonly RecordBatch[]) => Promise<void>,
    alone: (batch: RecordBatch) => Promise<void>,
    options: { maxBatches?: number; maxRecords?: number; maxConcurrent?: number; concurrentFrom?: number } = {},
  ) {
    this.#alone = alone;
    this.#joint = new GroupCommit<RecordBatch, boolean>(
      async (batches) => {
        const applied = await together(batches).then(
          () => true,
          // Nothing was committed; each batch goes its own way (see `submit`), where a failure is dealt with.
          () => false,
        );
        return batches.map(() => applied);
      },
      {
        maxBatchItems: options.maxBatches ?? 64,
        maxConcurrentBatches: options.maxConcurrent ?? 2,
        weight: (batch) => batch.records.length,
        maxBatchWeight: options.maxRecords ?? 1000,
        concurrentFrom: options.concurrentFrom ?? 100,
      },
    );
  }

  async submit(batch: RecordBatch): Promise<void> {
    if (!(await this.#joint.submit(batch))) await this.#alone(batch);
  }
}
