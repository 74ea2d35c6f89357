import { describe, expect, it } from 'vitest';
import { parseSchema, type AvroNode } from './avro-schema.ts';
import { checkAgainstVersions, checkReaderWriter } from './compatibility.ts';
import type { CompatibilityMode } from './schema-registry.ts';

// Rules paystream adds to Avro's (decimals, logical types) and the registry modes.

const node = (schema: unknown): AvroNode => parseSchema(JSON.stringify(schema)).root;
const decimal = (precision: number, scale: number) => node({ type: 'bytes', logicalType: 'decimal', precision, scale });
const payment = (fields: unknown[]) => node({ type: 'record', name: 'Payment', namespace: 'paystream', fields });
const kinds = (reader: AvroNode, writer: AvroNode) => checkReaderWriter(reader, writer).map((p) => p.kind);

describe('decimal and logical type rules (beyond the Avro specification)', () => {
  it('refuses a change of scale, both ways: 12.34 would read as 1.234', () => {
    expect(checkReaderWriter(decimal(10, 3), decimal(10, 2))).toEqual([
      { kind: 'DECIMAL_SCALE_MISMATCH', message: 'decimal scale changed: expected: 2, found: 3', location: '/scale' },
    ]);
    expect(kinds(decimal(10, 2), decimal(10, 3))).toEqual(['DECIMAL_SCALE_MISMATCH']);
  });

  it('accepts a wider precision for the reader and refuses a narrower one', () => {
    expect(kinds(decimal(12, 2), decimal(10, 2))).toEqual([]);
    expect(kinds(decimal(8, 2), decimal(10, 2))).toEqual(['DECIMAL_PRECISION_NARROWED']);
  });

  it('finds a scale change deep in a record, at its place', () => {
    const v1 = payment([{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 2 } }]);
    const v2 = payment([{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 4 } }]);
    expect(checkReaderWriter(v2, v1)).toEqual([expect.objectContaining({ location: '/fields/0/type/scale' })]);
  });

  it('checks decimals on fixed too', () => {
    const fixed = (scale: number) => node({ type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18, scale });
    expect(kinds(fixed(2), fixed(2))).toEqual([]);
    expect(kinds(fixed(3), fixed(2))).toEqual(['DECIMAL_SCALE_MISMATCH']);
  });

  it('refuses a decimal turned into plain bytes or plain bytes into a decimal', () => {
    expect(kinds(node('bytes'), decimal(10, 2))).toEqual(['LOGICAL_TYPE_MISMATCH']);
    expect(kinds(decimal(10, 2), node('bytes'))).toEqual(['LOGICAL_TYPE_MISMATCH']);
    expect(kinds(node('string'), decimal(10, 2))).toEqual(['LOGICAL_TYPE_MISMATCH']);
  });

  it('refuses one logical type turned into another, allows adding or dropping a non-decimal one', () => {
    const long = (logicalType?: string) => node(logicalType ? { type: 'long', logicalType } : 'long');
    expect(kinds(long('timestamp-micros'), long('timestamp-millis'))).toEqual(['LOGICAL_TYPE_MISMATCH']);
    expect(kinds(long('timestamp-millis'), long())).toEqual([]);
    expect(kinds(long(), long('timestamp-millis'))).toEqual([]);
    expect(kinds(long('timestamp-millis'), node({ type: 'int', logicalType: 'date' }))).toEqual(['LOGICAL_TYPE_MISMATCH']);
  });

  it('refuses invalid decimals at parse time, so money never silently becomes plain bytes', () => {
    expect(() => decimal(2, 3)).toThrow(/scale/);
    expect(() => node({ type: 'bytes', logicalType: 'decimal', scale: 2 })).toThrow(/precision/);
    expect(() => node({ type: 'fixed', name: 'F', size: 2, logicalType: 'decimal', precision: 10, scale: 2 })).toThrow(/does not fit/);
  });
});

describe('recursive schemas', () => {
  const list = (valueType: string) =>
    node({
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'value', type: valueType },
        { name: 'next', type: ['null', 'Node'], default: null },
      ],
    });

  it('terminate and still find problems', () => {
    expect(checkReaderWriter(list('long'), list('int'))).toEqual([]);
    expect(kinds(list('int'), list('long'))).toEqual(['TYPE_MISMATCH']);
  });
});

describe('modes: which versions a candidate is checked against, in which direction', () => {
  const v1 = { version: 1, root: payment([{ name: 'id', type: 'string' }]) };
  const v2 = {
    version: 2,
    root: payment([
      { name: 'id', type: 'string' },
      { name: 'note', type: 'string', default: '' },
    ]),
  };
  const addsRequiredField = payment([
    { name: 'id', type: 'string' },
    { name: 'note', type: 'string', default: '' },
    { name: 'amount', type: 'long' },
  ]);
  const dropsRequiredField = payment([{ name: 'note', type: 'string', default: '' }]);
  const removesNoteDefault = payment([
    { name: 'id', type: 'string' },
    { name: 'note', type: 'string' },
  ]);

  const check = (mode: CompatibilityMode, candidate: AvroNode) => checkAgainstVersions(mode, candidate, [v1, v2]);

  it('BACKWARD: the new schema must read old data; a new field without default is refused', () => {
    expect(check('BACKWARD', addsRequiredField)).toEqual([
      'new schema cannot read data written by version 2: amount at /fields/2 (READER_FIELD_MISSING_DEFAULT_VALUE)',
    ]);
    expect(check('BACKWARD', dropsRequiredField)).toEqual([]);
  });

  it('FORWARD: old readers must read new data; dropping a field they need is refused', () => {
    expect(check('FORWARD', addsRequiredField)).toEqual([]);
    expect(check('FORWARD', dropsRequiredField)).toEqual([
      'version 2 cannot read data written by the new schema: id at /fields/0 (READER_FIELD_MISSING_DEFAULT_VALUE)',
    ]);
  });

  it('FULL: both directions', () => {
    expect(check('FULL', addsRequiredField)).toHaveLength(1);
    expect(check('FULL', dropsRequiredField)).toHaveLength(1);
    expect(
      check(
        'FULL',
        payment([
          { name: 'id', type: 'string' },
          { name: 'note', type: 'string', default: 'x' },
        ]),
      ),
    ).toEqual([]);
  });

  it('non-transitive modes compare with the latest version only; TRANSITIVE ones with every version', () => {
    // Reading v1 data needs a default for `note`; v2 data carries it. So only v1 is a problem.
    expect(check('BACKWARD', removesNoteDefault)).toEqual([]);
    expect(check('BACKWARD_TRANSITIVE', removesNoteDefault)).toEqual([
      'new schema cannot read data written by version 1: note at /fields/1 (READER_FIELD_MISSING_DEFAULT_VALUE)',
    ]);
    expect(check('FULL_TRANSITIVE', removesNoteDefault)).toHaveLength(1);
    expect(check('FORWARD_TRANSITIVE', dropsRequiredField)).toHaveLength(2);
  });

  it('a subject without versions accepts anything', () => {
    expect(checkAgainstVersions('FULL_TRANSITIVE', addsRequiredField, [])).toEqual([]);
  });
});
