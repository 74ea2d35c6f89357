import { describe, expect, it } from 'vitest';
import { canonicalJson, toJsonValue } from './safe-json.ts';

describe('toJsonValue', () => {
  it('writes bigints as exact decimal strings, bytes as base64, dates as ISO', () => {
    expect(toJsonValue({ amountMinor: 12345678901234567890n, raw: Buffer.from('hi'), at: new Date(0) })).toEqual({
      amountMinor: '12345678901234567890',
      raw: 'aGk=',
      at: '1970-01-01T00:00:00.000Z',
    });
  });

  it('keeps non-finite numbers as their names and follows JSON for undefined', () => {
    expect(toJsonValue({ a: Number.NaN, b: -Infinity, gone: undefined, list: [undefined, 1] })).toEqual({
      a: 'NaN',
      b: '-Infinity',
      list: [null, 1],
    });
  });

  it('keeps a member named __proto__ as data', () => {
    const converted = toJsonValue(JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(JSON.stringify(converted)).toBe('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses cycles and functions, but not a shared (acyclic) reference', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toJsonValue(cyclic)).toThrow(TypeError);
    expect(() => toJsonValue({ f: () => 1 })).toThrow(TypeError);
    const shared = { x: 1 };
    expect(toJsonValue({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });
});

describe('canonicalJson', () => {
  it('is the same text whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2n }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":"2","z":1}]},"b":1}');
    expect(canonicalJson({ a: { c: null, d: [2, { y: 2n, z: 1 }] }, b: 1 })).toBe(
      canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2n }], c: null } }),
    );
  });
});
