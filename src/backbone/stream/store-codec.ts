/**
 * How a store's values are written to its table: as JSON text. A codec per store, because a
 * value's bigints (money in minor units) must stay exact and JSON has no bigint: the codec writes
 * them as decimal strings and reads them back, knowing which fields they are.
 */
export interface StoreCodec<Value> {
  encode(value: Value): string;
  decode(text: string): Value;
}

/** Where a store's values live: a row per key, or all of a partition's in its partition row. */
export type StoreScope = 'key' | 'partition';

export interface StoreDefinition<Value> {
  readonly codec: StoreCodec<Value>;
  /**
   * `key` (the default): a row per key in `stream_state`, loaded for the keys a batch touches.
   * `partition`: a handful of values per partition (counters, a partition's newest event time),
   * kept in the partition's locked row and loaded whole with it.
   */
  readonly scope?: StoreScope;
}
