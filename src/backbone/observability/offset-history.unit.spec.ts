import { describe, expect, it } from 'vitest';
import { EndOffsetHistory } from './offset-history.ts';

describe('EndOffsetHistory', () => {
  it('interpolates between the samples around an offset', () => {
    const history = new EndOffsetHistory();
    history.record('t:0', 0n, 0);
    history.record('t:0', 100n, 100_000);
    expect(history.appendedAt('t:0', 49n)).toEqual({ atMs: 50_000, atOrBefore: false });
    expect(history.appendedAt('t:0', 100n)).toBeUndefined();
  });

  it('keeps only the first and last sample of a quiet stretch', () => {
    const history = new EndOffsetHistory();
    history.record('t:0', 10n, 0);
    for (let s = 1; s <= 100; s++) history.record('t:0', 10n, s * 1000);
    history.record('t:0', 11n, 101_000);
    // Offset 10 arrived after the quiet stretch ended at 100 s.
    expect(history.appendedAt('t:0', 10n)).toEqual({ atMs: 101_000, atOrBefore: false });
    expect(history.appendedAt('t:0', 3n)).toEqual({ atMs: 0, atOrBefore: true });
  });

  it('thins old samples but keeps the oldest, so coverage reaches back', () => {
    const history = new EndOffsetHistory(8);
    for (let s = 0; s < 100; s++) history.record('t:0', BigInt(s * 10), s * 1000);
    // Records arrive at 10 per second; with the oldest sample kept, offset 0 still interpolates to 0.1 s.
    expect(history.appendedAt('t:0', 0n)).toEqual({ atMs: 100, atOrBefore: false });
    const latest = history.appendedAt('t:0', 985n);
    expect(latest?.atMs).toBeGreaterThan(98_000);
  });

  it('starts over when the end offset goes back (topic recreated)', () => {
    const history = new EndOffsetHistory();
    history.record('t:0', 100n, 0);
    history.record('t:0', 5n, 1000);
    expect(history.appendedAt('t:0', 0n)).toEqual({ atMs: 1000, atOrBefore: true });
  });
});
