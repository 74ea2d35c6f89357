/**
 * Group commit: callers submit items one at a time; items that arrive while a batch is being
 * written are written together in the next batch, so under load many requests share one database
 * transaction (one commit, one fsync), and at low load a lone item is written at once, without
 * waiting for company. No timer is involved: the batch size follows the load by itself.
 *
 * `write` receives the items of a batch and returns one result per item, in order. If it throws,
 * every item of that batch is rejected with the error (the batch's transaction rolled back), and
 * later batches are unaffected.
 *
 * A batch holds at most `maxBatchItems` items and, when items have a `weight` (e.g. the records a
 * partition batch carries), at most `maxBatchWeight` of it, but always at least one item.
 *
 * Up to `maxConcurrentBatches` batches are written at once. With `concurrentFrom`, a batch starts
 * beside one already in flight only once that much weight (or that many items) waits; less waits
 * for the batch in flight and joins the next one. At low load this keeps one batch in flight with
 * everything that arrived meanwhile, instead of a second batch of one item (a transaction per
 * item); under load the queue fills and the batches overlap.
 */
export class GroupCommit<Item, Result> {
  readonly #write: (items: Item[]) => Promise<Result[]>;
  readonly #maxBatchItems: number;
  readonly #maxConcurrentBatches: number;
  readonly #weight: ((item: Item) => number) | undefined;
  readonly #maxBatchWeight: number;
  readonly #concurrentFrom: number;
  #queue: Waiting<Item, Result>[] = [];
  #inFlight = 0;

  constructor(
    write: (items: Item[]) => Promise<Result[]>,
    options: {
      maxBatchItems?: number;
      maxConcurrentBatches?: number;
      weight?: (item: Item) => number;
      maxBatchWeight?: number;
      concurrentFrom?: number;
    } = {},
  ) {
    this.#write = write;
    this.#maxBatchItems = options.maxBatchItems ?? 500;
    this.#maxConcurrentBatches = options.maxConcurrentBatches ?? 1;
    this.#weight = options.weight;
    this.#maxBatchWeight = options.maxBatchWeight ?? Infinity;
    this.#concurrentFrom = options.concurrentFrom ?? 0;
    if (!(this.#maxBatchItems >= 1 && this.#maxConcurrentBatches >= 1))
      throw new RangeError('GroupCommit: maxBatchItems and maxConcurrentBatches must be at least 1');
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#drain();
    });
  }

  /** Items waiting for a batch (for metrics). */
  get pending(): number {
    return this.#queue.length;
  }

  #drain(): void {
    while (
      this.#queue.length > 0 &&
      (this.#inFlight === 0 || (this.#inFlight < this.#maxConcurrentBatches && this.#queuedWeight() >= this.#concurrentFrom))
    ) {
      const batch = this.#queue.splice(0, this.#takeable());
      this.#inFlight += 1;
      void this.#run(batch);
    }
  }

  /** The queued weight, counted only as far as `concurrentFrom`. */
  #queuedWeight(): number {
    if (!this.#weight) return this.#queue.length;
    let weight = 0;
    for (const entry of this.#queue) {
      weight += this.#weight(entry.item);
      if (weight >= this.#concurrentFrom) break;
    }
    return weight;
  }

  /** How many queued items the next batch takes: at least one, then up to the limits. */
  #takeable(): number {
    const limit = Math.min(this.#queue.length, this.#maxBatchItems);
    if (!this.#weight) return limit;
    let weight = this.#weight(this.#queue[0]!.item);
    let count = 1;
    while (count < limit && weight + this.#weight(this.#queue[count]!.item) <= this.#maxBatchWeight) {
      weight += this.#weight(this.#queue[count]!.item);
      count++;
    }
    return count;
  }

  async #run(batch: Waiting<Item, Result>[]): Promise<void> {
    try {
      const results = await this.#write(batch.map((entry) => entry.item));
      if (results.length !== batch.length)
        throw new Error(`GroupCommit: write returned ${results.length} results for ${batch.length} items`);
      batch.forEach((entry, index) => entry.resolve(results[index]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      this.#inFlight -= 1;
      this.#drain();
    }
  }
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}
