/**
 * Remembers when each partition's end offset was seen, so the lag collector can estimate how long
 * the oldest unconsumed record has waited using nothing but end offsets and a clock (the event bus
 * port has no "timestamp of offset N"). This is how kafka-lag-exporter does it: the record at
 * offset N was appended between the last sample whose end offset was ≤ N and the first whose end
 * offset was > N, and records are assumed to arrive evenly in between. The estimate is as good as
 * the sampling interval (the scrape interval).
 */
export class EndOffsetHistory {
  readonly #samplesByPartition = new Map<string, Sample[]>();
  readonly #maxSamples: number;

  /** `maxSamples` per partition; older samples are thinned, so the history reaches further back coarsely. */
  constructor(maxSamples = 256) {
    this.#maxSamples = Math.max(4, maxSamples);
  }

  record(partitionKey: string, endOffset: bigint, atMs: number): void {
    let samples = this.#samplesByPartition.get(partitionKey) ?? [];
    const last = samples.at(-1);
    // A lower end offset means the topic was deleted and created again: the old history is void.
    if (last !== undefined && endOffset < last.endOffset) samples = [];
    const [before, latest] = [samples.at(-2), samples.at(-1)];
    // Of a run of equal end offsets only the first and the last sample carry information.
    if (before?.endOffset === endOffset && latest?.endOffset === endOffset) latest.atMs = atMs;
    else samples.push({ endOffset, atMs });
    if (samples.length > this.#maxSamples) samples = thinOlderHalf(samples);
    this.#samplesByPartition.set(partitionKey, samples);
  }

  /**
   * When the record at `offset` was appended: an interpolated estimate, or (`atOrBefore`) the
   * oldest sample time when the record is older than the history. `undefined` if no sample shows
   * the record yet.
   */
  appendedAt(partitionKey: string, offset: bigint): { atMs: number; atOrBefore: boolean } | undefined {
    const samples = this.#samplesByPartition.get(partitionKey) ?? [];
    const after = samples.findIndex((sample) => sample.endOffset > offset);
    if (after === -1) return undefined;
    const next = samples[after]!;
    const previous = samples[after - 1];
    if (previous === undefined) return { atMs: next.atMs, atOrBefore: true };
    const share = Number(offset - previous.endOffset + 1n) / Number(next.endOffset - previous.endOffset);
    return { atMs: previous.atMs + share * (next.atMs - previous.atMs), atOrBefore: false };
  }

  /** Forgets partitions not in `keep` (a topic no longer collected). */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.#samplesByPartition.keys()) if (!keep.has(key)) this.#samplesByPartition.delete(key);
  }
}

interface Sample {
  endOffset: bigint;
  atMs: number;
}

/** Drops every other sample of the older half, keeping the oldest: resolution fades with age. */
function thinOlderHalf(samples: Sample[]): Sample[] {
  const half = Math.floor(samples.length / 2);
  return samples.filter((_, i) => i >= half || i % 2 === 0);
}
