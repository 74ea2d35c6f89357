import { describe, expect, it } from 'vitest';
import { childTraceparent, formatTraceparent, isSampled, newTraceparent, parseTraceparent, type RandomBytes } from './tracing.ts';

const example = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Bytes 1, 2, 3, ... so ids are predictable. */
function counting(): RandomBytes {
  let next = 1;
  return (size) => Uint8Array.from({ length: size }, () => next++ & 0xff);
}

describe('traceparent', () => {
  it('parses the specification example', () => {
    const context = parseTraceparent(example);
    expect(context).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: 1 });
    expect(isSampled(context!)).toBe(true);
    expect(formatTraceparent(context!)).toBe(example);
  });

  it('accepts a later version with extra fields, and writes it back as version 00', () => {
    const context = parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-future');
    expect(context).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: 0 });
    expect(formatTraceparent(context!)).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
  });

  it.each([
    ['empty', ''],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with extra fields', `${example}-extra`],
    ['a later version with junk after the flags', '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['long parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7a-01'],
    ['non-hex characters', '00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01'],
    ['wrong separators', '00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01'],
    ['one-digit flags', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1'],
  ])('rejects %s', (_, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('creates a sampled trace from the injected randomness', () => {
    expect(newTraceparent(counting())).toBe('00-0102030405060708090a0b0c0d0e0f10-1112131415161718-01');
    expect(newTraceparent(counting(), { sampled: false })).toMatch(/-00$/);
  });

  it('never creates an all-zero id', () => {
    let calls = 0;
    const zerosFirst: RandomBytes = (size) => (calls++ === 0 ? new Uint8Array(size) : Uint8Array.from({ length: size }, () => 7));
    expect(parseTraceparent(newTraceparent(zerosFirst))).toBeDefined();
    expect(() => newTraceparent((size) => new Uint8Array(size))).toThrow(/only zeros/);
  });

  it('makes a child in the same trace with a new parent id and the same flags', () => {
    const child = childTraceparent(example, counting());
    expect(child).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-0102030405060708-01');
    expect(childTraceparent(parseTraceparent(child), counting())).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-/);
  });

  it('starts a new trace when the parent is missing or invalid', () => {
    expect(childTraceparent(undefined, counting())).toBe('00-0102030405060708090a0b0c0d0e0f10-1112131415161718-01');
    expect(childTraceparent('garbage', counting())).toBe('00-0102030405060708090a0b0c0d0e0f10-1112131415161718-01');
  });

  it('produces valid headers with real randomness', () => {
    for (let i = 0; i < 100; i++) expect(parseTraceparent(childTraceparent(newTraceparent()))).toBeDefined();
  });
});
