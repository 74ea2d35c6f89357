import { partitionForKey } from '../messaging/partitioner.ts';

/**
 * A key per partition of a topic of `partitionCount` partitions (index = partition), for a
 * producer that writes a record to every partition: a watermark is the partition's, so the feed
 * writes one into each, and the bus places a record by its key. The keys are `watermark-<n>` for
 * the first n that lands in each partition, so every producer finds the same ones.
 */
export function watermarkKeys(partitionCount: number): string[] {
  const keys: (string | undefined)[] = new Array<string | undefined>(partitionCount).fill(undefined);
  let found = 0;
  for (let n = 0; found < partitionCount; n++) {
    const key = `watermark-${n}`;
    const partition = partitionForKey(Buffer.from(key), partitionCount);
    if (keys[partition] === undefined) {
      keys[partition] = key;
      found++;
    }
  }
  return keys as string[];
}
