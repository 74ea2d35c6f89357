import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from './random-bytes.ts';

describe('pooledRandomBytes', () => {
  it('returns the asked number of bytes, never the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    // 3,000 × 10 bytes crosses the 4 KiB pool's refill several times.
    for (let i = 0; i < 3000; i++) {
      const bytes = pooledRandomBytes(10);
      expect(bytes.length).toBe(10);
      seen.add(bytes.toString('hex'));
    }
    expect(seen.size).toBe(3000);
  });

  it('gives each caller its own copy: changing one result changes no other', () => {
    const first = pooledRandomBytes(16);
    const copy = Buffer.from(first);
    const second = pooledRandomBytes(16);
    second.fill(0);
    expect(first.equals(copy)).toBe(true);
  });

  it('serves sizes larger than its share of the pool straight from the CSPRNG', () => {
    const bytes = pooledRandomBytes(1024);
    expect(bytes.length).toBe(1024);
    expect(bytes.equals(Buffer.alloc(1024))).toBe(false);
  });
});
