/**
 * The state store of a keyed stream processor: one value per key, read and written while a record
 * or a timer is processed (Kafka Streams' `KeyValueStore`).
 *
 * Synchronous on purpose. A processor decides inside one unit of work; the database-backed store
 * (`BatchStore`, used by `StreamRunner`) loads the values of the keys a batch touches in one statement before the batch,
 * serves them from memory while the processor runs, and writes the changed keys in one statement
 * in the consumer's transaction (ADR-8: a fixed number of statements per batch). So a processor
 * never waits on I/O and runs the same on the replay's simulated clock as live.
 *
 * Contract: `get` returns what the last `put` of that key wrote (or undefined after `delete`);
 * values are owned by the store once put (a caller must not mutate a value after putting it, and
 * must put it again after changing a value it got); `keysWithPrefix` lists keys in ascending order.
 */
export interface KeyValueStore<Value> {
  get(key: string): Value | undefined;
  put(key: string, value: Value): void;
  delete(key: string): void;
  /** The keys starting with `prefix`, ascending (a range scan on the database store). */
  keysWithPrefix(prefix: string): string[];
  /** How many keys the store holds (for the bounded-state metrics and tests). */
  size(): number;
}

/** The store in memory: for the replay and tests, and the shape the database store caches. */
export class InMemoryKeyValueStore<Value> implements KeyValueStore<Value> {
  readonly #values = new Map<string, Value>();

  get(key: string): Value | undefined {
    return this.#values.get(key);
  }

  put(key: string, value: Value): void {
    this.#values.set(key, value);
  }

  delete(key: string): void {
    this.#values.delete(key);
  }

  keysWithPrefix(prefix: string): string[] {
    return [...this.#values.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  size(): number {
    return this.#values.size;
  }

  /** Every entry, keys ascending (for tests that measure the state). */
  entries(): [string, Value][] {
    return [...this.#values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
