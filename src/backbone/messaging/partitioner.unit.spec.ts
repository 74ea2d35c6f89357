import { describe, expect, it } from 'vitest';
import { murmur2 as platformaticMurmur2 } from '@platformatic/kafka';
import { murmur2, partitionForKey } from './partitioner.ts';

describe('partitionForKey', () => {
  // Vectors from Apache Kafka's own UtilsTest.testMurmur2 (clients/src/test/.../utils/UtilsTest.java).
  const javaVectors: Array<[string, number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];

  it.each(javaVectors)('murmur2(%s) matches the Java client', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  it('agrees with @platformatic/kafka murmur2 on random keys', () => {
    for (let i = 0; i < 2000; i++) {
      const key = Buffer.from(`account-${i}-${(i * 7919) % 104729}`);
      expect(murmur2(key)).toBe(platformaticMurmur2(key));
    }
  });

  it('maps a key to a stable partition in range', () => {
    const key = Buffer.from('DE89370400440532013000');
    const partition = partitionForKey(key, 12);
    expect(partition).toBeGreaterThanOrEqual(0);
    expect(partition).toBeLessThan(12);
    expect(partitionForKey(key, 12)).toBe(partition);
    // toPositive, not Math.abs: a negative hash still lands where Java puts it.
    expect(partitionForKey(Buffer.from('21'), 7)).toBe((-973932308 & 0x7fffffff) % 7);
  });

  it('refuses a partition count that is not a positive integer', () => {
    expect(() => partitionForKey(Buffer.from('k'), 0)).toThrow(RangeError);
  });
});
