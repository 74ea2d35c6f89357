import type { Item } from './batch-item.ts';
import { ParkedKeySet, type ParkedKey } from './consumer-store.ts';
import type { RetryPolicy } from './retry-policy.ts';

/**
 * Key parking, which keeps a key's order under non-blocking retry. Contract: while a key's
 * earliest unfinished event is in a retry tier, the key is parked, and the main subscription hands
 * no later event of that key to the handler: it stores them in offset order in
 * `consumer_parked_events`, in the transaction that moves the position past them. The parked keys
 * of a transaction's events are looked up, and locked, in its first statement. Other keys flow.
 * The retry tier releases a parked key's events one at a time (see `retry-tiers.ts`).
 */
export function checksParkedKeys(retry: RetryPolicy, readsRetryTiers: boolean): boolean {
  return retry.mode === 'non-blocking' && !readsRetryTiers;
}

/** The parked key an item would wait behind: its origin topic and its key. */
export function parkedKeyOf(item: Item): ParkedKey {
  return { topic: item.retry.origin.topic, key: item.record.key ?? Buffer.alloc(0) };
}

/** The distinct parked keys of `items`, to look up. */
export function distinctKeys(items: readonly Item[]): ParkedKey[] {
  const seen = new ParkedKeySet();
  const keys: ParkedKey[] = [];
  for (const key of items.map(parkedKeyOf)) {
    if (seen.has(key)) continue;
    seen.add(key);
    keys.push(key);
  }
  return keys;
}
