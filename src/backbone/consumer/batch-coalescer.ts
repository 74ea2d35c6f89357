import type { RecordBatch } from '../messaging/event-bus.ts';

/**
 * Joins the batches of different partitions that reach one consumer at the same time into one
 * database transaction. A fetch usually returns records of many partitions, and the bus hands
 * each partition's batch over on its own; applied one by one, every partition would pay its own
 * transaction and commit, which at moderate load means a commit per event. Here the first batch
 * is applied at once, alone; batches that arrive while a transaction is open wait for it and are
 * applied together in the next one (up to `maxBatches` batches and `maxRecords` records, default 64
 * and 1,000), so the transaction size follows the load, with no timer. Up to
 * `maxConcurrent` joint transactions run at once (default 2), so the consumer prepares the next
 * one while the database commits the last.
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
  readonly #together: (batches: readonly RecordBatch[]) => Promise<void>;
  readonly #alone: (batch: RecordBatch) => Promise<void>;
  readonly #maxBatches: number;
  readonly #maxRecords: number;
  readonly #maxConcurrent: number;
  #queue: Waiting[] = [];
  #running = 0;

  constructor(together: (batches: readonly RecordBatch[]) => Promise<void>, alone: (batch: RecordBatch) => Promise<void>, options: { maxBatches?: number; maxRecords?: number; maxConcurrent?: number } = {}) {
    this.#together = together;
    this.#alone = alone;
    this.#maxBatches = options.maxBatches ?? 64;
    this.#maxRecords = options.maxRecords ?? 1000;
    this.#maxConcurrent = options.maxConcurrent ?? 2;
    if (!(this.#maxBatches >= 1 && this.#maxConcurrent >= 1)) throw new RangeError('BatchCoalescer: maxBatches and maxConcurrent must be at least 1');
  }

  submit(batch: RecordBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      this.#next();
    });
  }

  #next(): void {
    while (this.#running < this.#maxConcurrent && this.#queue.length > 0) {
      this.#running++;
      void this.#run(this.#queue.splice(0, this.#joinable()));
    }
  }

  /** How many queued batches the next transaction takes: at least one, then up to the limits. */
  #joinable(): number {
    let records = this.#queue[0]!.batch.records.length;
    let count = 1;
    while (count < this.#queue.length && count < this.#maxBatches && records + this.#queue[count]!.batch.records.length <= this.#maxRecords) {
      records += this.#queue[count]!.batch.records.length;
      count++;
    }
    return count;
  }

  async #run(group: Waiting[]): Promise<void> {
    let applied = false;
    try {
      await this.#together(group.map((waiting) => waiting.batch));
      applied = true;
    } catch {
      // Nothing was committed; each batch goes its own way below, where a failure is dealt with.
    }
    this.#running--;
    this.#next();
    for (const waiting of group) {
      if (applied) waiting.resolve();
      else this.#alone(waiting.batch).then(waiting.resolve, waiting.reject);
    }
  }
}

interface Waiting {
  batch: RecordBatch;
  resolve: () => void;
  reject: (error: unknown) => void;
}
