/**
 * Progress for the human watching a benchmark. It goes to stderr: stdout belongs to the result, whose
 * last line is the one JSON object other tools parse.
 */
const startedAtMs = performance.now();

export function progress(message: string): void {
  const elapsedSeconds = ((performance.now() - startedAtMs) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${elapsedSeconds}s] ${message}\n`);
}

/** 12345.6 → "12,346". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en');
}

export function sleep(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}
