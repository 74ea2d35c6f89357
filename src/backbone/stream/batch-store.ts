import type { KeyValueStore } from './key-value-store.ts';

/**
 * A `KeyValueStore` over the values one batch loaded from the database: it serves them from
 * memory while the processor runs (the processor never waits on I/O) and remembers which keys
 * changed, for the runner to write back in one statement per kind (ADR-8).
 *
 * It knows only the keys the batch loaded (the keys of its records and of the timers that can
 * fire); a key it did not load reads as absent. So the runner loads every key a processor can
 * read in the instant: a processor of this runner reads and writes only the key of the record or
 * timer it handles. `keysWithPrefix` would need a range read the batch did not make, so it
 * throws rather than answer from a partial cache.
 */
export class BatchStore<Value> implements KeyValueStore<Value> {
  readonly #values: Map<string, Value>;
  readonly #changed = new Set<string>();
  readonly #complete: boolean;

  /** `complete`: the loaded values are all of the store's (a partition-scoped store). */
  constructor(loaded: Map<string, Value>, complete: boolean) {
    this.#values = loaded;
    this.#complete = complete;
  }

  get(key: string): Value | undefined {
    return this.#values.get(key);
  }

  put(key: string, value: Value): void {
    this.#values.set(key, value);
    this.#changed.add(key);
  }

  delete(key: string): void {
    this.#values.delete(key);
    this.#changed.add(key);
  }

  keysWithPrefix(prefix: string): string[] {
    if (!this.#complete) throw new Error('keysWithPrefix needs a range read: a batch-loaded keyed store serves only the keys it loaded');
    return [...this.#values.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  size(): number {
    if (!this.#complete) throw new Error('size needs a count: a batch-loaded keyed store serves only the keys it loaded');
    return this.#values.size;
  }

  /** Every loaded value (the whole store when complete). */
  values(): Map<string, Value> {
    return this.#values;
  }

  /** The keys put or deleted since loading: `put` with their values, `deleted` gone. */
  changes(): { put: [string, Value][]; deleted: string[] } {
    const put: [string, Value][] = [];
    const deleted: string[] = [];
    for (const key of this.#changed) {
      const value = this.#values.get(key);
      if (value === undefined) deleted.push(key);
      else put.push([key, value]);
    }
    return { put, deleted };
  }
}
