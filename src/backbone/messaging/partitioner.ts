/**
 * Key → partition exactly as the Java client's default partitioner does it
 * (`Utils.toPositive(Utils.murmur2(key)) % partitions`), so that paystream, Kafka Streams, Connect
 * and any other Java or librdkafka client with the murmur2 partitioner agree on where a key lives.
 * Both engines use it: a topic moved from the embedded log to Kafka keeps its key placement.
 */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}

/** Kafka's murmur2 (seed 0x9747b28c), a signed 32-bit result like Java's `Utils.murmur2`. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const blocks = length >> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    let k = (data[o]! & 0xff) | ((data[o + 1]! & 0xff) << 8) | ((data[o + 2]! & 0xff) << 16) | ((data[o + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = blocks * 4;
  const remaining = length & 3;
  if (remaining === 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (remaining >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (remaining >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
