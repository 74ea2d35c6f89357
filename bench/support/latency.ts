/**
 * Milliseconds since the epoch with sub-millisecond resolution, comparable between processes on
 * one machine (each process's `timeOrigin` is read from the same realtime clock): the stage can
 * stamp an event with the moment it handled it, and the driver compare that with its own times.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * End-to-end latency samples and their percentiles. Every sample is kept (a 20-second run at
 * 15,000 events/s is 300,000 doubles, 2.4 MB), so the percentiles are exact order statistics
 * (nearest rank) rather than an HDR histogram's bucketed approximation of them.
 */
export class LatencySamples {
  #values = new Float64Array(1024);
  #count = 0;

  record(valueMs: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = valueMs;
  }

  get count(): number {
    return this.#count;
  }

  /** Nearest-rank percentiles of everything recorded, e.g. `summary([50, 99])`. */
  summary(): LatencySummary {
    const sorted = this.#values.slice(0, this.#count).sort();
    const at = (percentile: number): number => {
      if (sorted.length === 0) return Number.NaN;
      const rank = Math.ceil((percentile / 100) * sorted.length);
      return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
    };
    return { count: sorted.length, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), p999Ms: at(99.9), maxMs: at(100), minMs: at(0) };
  }
}

export interface LatencySummary {
  count: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** Rounds to 0.1 ms for reports (the clock's resolution is far finer; the run-to-run noise is not). */
export function roundMs(valueMs: number): number {
  return Math.round(valueMs * 10) / 10;
}
