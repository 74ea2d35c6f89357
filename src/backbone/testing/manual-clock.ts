import type { Clock } from '../clock/clock.ts';

/**
 * A clock that moves only when told to (`advance`), for tests of timers and deadlines: durable
 * timers, saga step deadlines, a stream's grace periods. `sleep` never resolves: code under test
 * that waits on this clock waits until the test moves it and wakes it by other means.
 */
export function manualClock(startMs = Date.UTC(2026, 0, 5, 9, 0, 0)): Clock & { advance(ms: number): void } {
  let nowMs = startMs;
  return {
    nowMs: () => nowMs,
    sleep: () => new Promise<void>(() => {}),
    advance: (ms) => {
      nowMs += ms;
    },
  };
}
