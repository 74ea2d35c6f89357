import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

describe('GroupCommit', () => {
  it('writes a lone item at once, and items arriving during a write together in the next batch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstWriteBlocked = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommit<number, string>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await firstWriteBlocked;
      return items.map((item) => `ok ${item}`);
    });
    const first = group.submit(1);
    const later = [2, 3, 4].map((item) => group.submit(item));
    expect(batches).toEqual([[1]]);
    release();
    expect(await first).toBe('ok 1');
    expect(await Promise.all(later)).toEqual(['ok 2', 'ok 3', 'ok 4']);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('with concurrentFrom, starts a second batch beside the one in flight only once enough waits', async () => {
    const batches: number[][] = [];
    const releases: (() => void)[] = [];
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise<void>((resolve) => releases.push(resolve));
        return items;
      },
      { maxConcurrentBatches: 2, weight: (item) => item, concurrentFrom: 10 },
    );
    const submitted = [group.submit(1), group.submit(4), group.submit(5)];
    // 4 + 5 = 9 waits: less than 10, so they wait for the batch in flight.
    expect(batches).toEqual([[1]]);
    submitted.push(group.submit(2));
    // 11 waits now: a second batch starts beside the first.
    expect(batches).toEqual([[1], [4, 5, 2]]);
    submitted.push(group.submit(3));
    // Two in flight already: 3 waits, whatever its weight.
    expect(batches).toHaveLength(2);
    releases[0]!();
    await submitted[0];
    // One in flight and 3 waiting: below 10, so it waits for that one too.
    expect(batches).toHaveLength(2);
    releases[1]!();
    await submitted[1];
    expect(batches).toEqual([[1], [4, 5, 2], [3]]);
    releases[2]!();
    expect(await Promise.all(submitted)).toEqual([1, 4, 5, 2, 3]);
  });

  it('rejects every item of a failed batch, and goes on with the next', async () => {
    let calls = 0;
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommit<number, number>(async (items) => {
      calls += 1;
      if (calls === 1) await blocked;
      if (calls === 2) throw new Error('database down');
      return items;
    });
    const first = group.submit(0);
    const failing = [group.submit(1), group.submit(2)];
    release();
    await first;
    await expect(failing[0]).rejects.toThrow('database down');
    await expect(failing[1]).rejects.toThrow('database down');
    expect(await group.submit(3)).toBe(3);
  });

  it('caps a batch at maxBatchItems', async () => {
    const sizes: number[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommit<number, number>(
      async (items) => {
        sizes.push(items.length);
        if (sizes.length === 1) await blocked;
        return items;
      },
      { maxBatchItems: 2 },
    );
    const all = [0, 1, 2, 3, 4].map((item) => group.submit(item));
    release();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4]);
    expect(sizes).toEqual([1, 2, 2]);
  });
});
