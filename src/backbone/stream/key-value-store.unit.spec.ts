import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from './key-value-store.ts';

describe('InMemoryKeyValueStore', () => {
  it('returns what the last put of a key wrote, nothing after a delete, and lists keys by prefix in ascending order', () => {
    const store = new InMemoryKeyValueStore<number>();
    store.put('acc-2', 1);
    store.put('acc-10', 2);
    store.put('other', 3);
    store.put('acc-2', 4);
    store.delete('other');
    store.delete('never-put');
    expect(store.get('acc-2')).toBe(4);
    expect(store.get('other')).toBeUndefined();
    expect(store.keysWithPrefix('acc-')).toEqual(['acc-10', 'acc-2']);
    expect(store.size()).toBe(2);
    expect(store.entries()).toEqual([
      ['acc-10', 2],
      ['acc-2', 4],
    ]);
  });
});
