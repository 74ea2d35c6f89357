/*
 * Most cases here are ported from Apache Avro's own compatibility suite,
 * lang/py/avro/test/test_compatibility.py (Copyright The Apache Software Foundation, licensed under
 * the Apache License, Version 2.0: https://www.apache.org/licenses/LICENSE-2.0), itself a port of
 * Java's TestSchemaCompatibility. The schemas and reader/writer pairs are theirs; expected messages
 * and locations are kept where our checker words them the same way (type mismatches, union
 * branches, names, fixed sizes, missing defaults) and adapted where the Python message is a Python
 * set's repr (missing enum symbols). The decimal, logical type and mode cases at the end are ours.
 */
import { describe, expect, it } from 'vitest';
import { parseSchema, type AvroNode } from './avro-schema.ts';
import { checkReaderWriter } from './compatibility.ts';

const node = (schema: unknown): AvroNode => parseSchema(JSON.stringify(schema)).root;
const record = (name: string, fields: unknown[], extra: object = {}) => node({ type: 'record', name, fields, ...extra });
const union = (...branches: unknown[]): AvroNode => (branches.length === 0 ? { kind: 'union', branches: [] } : node(branches));
const compatible = (reader: AvroNode, writer: AvroNode) => checkReaderWriter(reader, writer).length === 0;

const BOOLEAN = node('boolean');
const NULL = node('null');
const INT = node('int');
const LONG = node('long');
const STRING = node('string');
const BYTES = node('bytes');
const FLOAT = node('float');
const DOUBLE = node('double');
const INT_ARRAY = node({ type: 'array', items: 'int' });
const LONG_ARRAY = node({ type: 'array', items: 'long' });
const INT_MAP = node({ type: 'map', values: 'int' });
const LONG_MAP = node({ type: 'map', values: 'long' });
const ENUM1_AB = { type: 'enum', name: 'Enum1', symbols: ['A', 'B'] };
const ENUM1_ABC = { type: 'enum', name: 'Enum1', symbols: ['A', 'B', 'C'] };
const ENUM1_AB_SCHEMA = node(ENUM1_AB);
const ENUM1_ABC_SCHEMA = node(ENUM1_ABC);
const ENUM1_BC_SCHEMA = node({ type: 'enum', name: 'Enum1', symbols: ['B', 'C'] });
const ENUM2_AB_SCHEMA = node({ type: 'enum', name: 'Enum2', symbols: ['A', 'B'] });
const enumField = (symbols: string[], enumDefault: string, fieldDefault?: string) =>
  record('Record', [
    {
      name: 'Field',
      type: { type: 'enum', name: 'Enum', symbols, default: enumDefault },
      ...(fieldDefault ? { default: fieldDefault } : {}),
    },
  ]);
const ENUM_ABC_ENUM_DEFAULT_A_RECORD = enumField(['A', 'B', 'C'], 'A');
const ENUM_AB_ENUM_DEFAULT_A_RECORD = enumField(['A', 'B'], 'A');
const ENUM_ABC_FIELD_DEFAULT_B_ENUM_DEFAULT_A_RECORD = enumField(['A', 'B', 'C'], 'A', 'B');
const ENUM_AB_FIELD_DEFAULT_A_ENUM_DEFAULT_B_RECORD = enumField(['A', 'B'], 'B', 'A');
const EMPTY_UNION = union();
const NULL_UNION = union('null');
const INT_UNION = union('int');
const LONG_UNION = union('long');
const FLOAT_UNION = union('float');
const DOUBLE_UNION = union('double');
const STRING_UNION = union('string');
const BYTES_UNION = union('bytes');
const INT_STRING_UNION = union('int', 'string');
const STRING_INT_UNION = union('string', 'int');
const INT_FLOAT_UNION = union('int', 'float');
const INT_LONG_UNION = union('int', 'long');
const INT_LONG_FLOAT_DOUBLE_UNION = union('int', 'long', 'float', 'double');
const EMPTY_RECORD1 = record('Record1', []);
const EMPTY_RECORD2 = record('Record2', []);
const A_INT_RECORD1 = record('Record1', [{ name: 'a', type: 'int' }]);
const A_LONG_RECORD1 = record('Record1', [{ name: 'a', type: 'long' }]);
const A_INT_B_INT_RECORD1 = record('Record1', [
  { name: 'a', type: 'int' },
  { name: 'b', type: 'int' },
]);
const A_DINT_RECORD1 = record('Record1', [{ name: 'a', type: 'int', default: 0 }]);
const A_DINT_OPTIONAL_RECORD1 = record('Record1', [{ name: 'a', type: ['null', 'int'], default: null }]);
const A_INT_B_DINT_RECORD1 = record('Record1', [
  { name: 'a', type: 'int' },
  { name: 'b', type: 'int', default: 0 },
]);
const A_DINT_B_DINT_RECORD1 = record('Record1', [
  { name: 'a', type: 'int', default: 0 },
  { name: 'b', type: 'int', default: 0 },
]);
const withB = (type: unknown, extra: object = {}) =>
  record('Record1', [
    { name: 'a', type: 'int', default: 0 },
    { name: 'b', type, ...extra },
  ]);
const A_DINT_B_DFIXED_4_BYTES_RECORD1 = withB({ type: 'fixed', name: 'Fixed', size: 4 });
const A_DINT_B_DFIXED_8_BYTES_RECORD1 = withB({ type: 'fixed', name: 'Fixed', size: 8 });
const A_DINT_B_DINT_STRING_UNION_RECORD1 = withB(['int', 'string'], { default: 0 });
const A_DINT_B_DINT_UNION_RECORD1 = withB(['int'], { default: 0 });
const A_DINT_B_DENUM_1_RECORD1 = withB({ type: 'enum', name: 'Enum1', symbols: ['A', 'B'] });
const A_DINT_B_DENUM_2_RECORD1 = withB({ type: 'enum', name: 'Enum2', symbols: ['A', 'B'] });
const FIXED_4 = { type: 'fixed', name: 'Fixed', size: 4 };
const FIXED_4_BYTES = node(FIXED_4);
const FIXED_8_BYTES = node({ type: 'fixed', name: 'Fixed', size: 8 });
const FIXED_4_ANOTHER_NAME = node({ type: 'fixed', name: 'AnotherName', size: 4 });
const nsRecord = (namespace: string) =>
  record('Record1', [
    {
      name: 'f1',
      type: ['null', { type: 'array', items: { type: 'record', name: 'InnerRecord1', namespace, fields: [{ name: 'a', type: 'int' }] } }],
    },
  ]);
const NS_RECORD1 = nsRecord('ns1');
const NS_RECORD2 = nsRecord('ns2');
const WITHOUT_NAMESPACE_RECORD = record('Record', [{ name: 'f1', type: 'int' }]);
const WITH_NAMESPACE_RECORD = record('ns.Record', [{ name: 'f1', type: 'int' }]);
const UNION_INT_RECORD1 = union('int', { type: 'record', name: 'Record1', fields: [{ name: 'field1', type: 'int' }] });
const UNION_INT_RECORD2 = union('int', { type: 'record', name: 'Record2', fields: [{ name: 'field1', type: 'int' }] });
const UNION_INT_ENUM1_AB = union('int', ENUM1_AB);
const UNION_INT_FIXED_4_BYTES = union('int', FIXED_4);
const UNION_INT_BOOLEAN = union('int', 'boolean');
const UNION_INT_ARRAY_INT = union('int', { type: 'array', items: 'int' });
const UNION_INT_MAP_INT = union('int', { type: 'map', values: 'int' });
const UNION_INT_NULL = union('int', 'null');
const RECORD1_WITH_ENUM_AB = record('Record1', [{ name: 'field1', type: ENUM1_AB }]);
const RECORD1_WITH_ENUM_ABC = record('Record1', [{ name: 'field1', type: ENUM1_ABC }]);

describe('compatibility checker: cases ported from Apache Avro', () => {
  it('test_simple_schema_promotion: field and record aliases', () => {
    const writer = node({
      name: 'foo',
      type: 'record',
      fields: [
        { type: 'int', name: 'f1' },
        { type: 'string', name: 'f2' },
      ],
    });
    const fieldAliasReader = node({ name: 'foo', type: 'record', fields: [{ type: 'int', name: 'bar', aliases: ['f1'] }] });
    const recordAliasReader = node({ name: 'other', type: 'record', fields: [{ type: 'int', name: 'f1' }], aliases: ['foo'] });
    expect(checkReaderWriter(fieldAliasReader, writer)).toEqual([]);
    expect(checkReaderWriter(recordAliasReader, writer)).toEqual([]);
  });

  describe('test_schema_compatibility: validate schema pairs', () => {
    const writer = record('Record', [
      { name: 'oldField1', type: 'int' },
      { name: 'oldField2', type: 'string' },
    ]);
    it.each([
      ['missing field', record('Record', [{ name: 'oldField1', type: 'int' }]), true],
      ['missing second field', record('Record', [{ name: 'oldField2', type: 'string' }]), true],
      ['all fields', writer, true],
      [
        'new field with default',
        record('Record', [
          { name: 'oldField1', type: 'int' },
          { name: 'newField2', type: 'int', default: 42 },
        ]),
        true,
      ],
      [
        'new field without default',
        record('Record', [
          { name: 'oldField1', type: 'int' },
          { name: 'newField2', type: 'int' },
        ]),
        false,
      ],
    ])('%s', (_name, reader, expected) => {
      expect(compatible(reader, writer)).toBe(expected);
    });

    it('array writer, array or map reader', () => {
      const arrayOfStrings = node({ type: 'array', items: { type: 'string' } });
      expect(compatible(arrayOfStrings, arrayOfStrings)).toBe(true);
      expect(compatible(node({ type: 'map', values: { type: 'string' } }), arrayOfStrings)).toBe(false);
    });

    it('primitive writer', () => {
      expect(compatible(node({ type: 'string' }), node({ type: 'string' }))).toBe(true);
      expect(compatible(node({ type: 'int' }), node({ type: 'string' }))).toBe(false);
    });

    it('union reader lacking a writer branch', () => {
      expect(compatible(union('int', 'string'), union('int', 'string', 'long'))).toBe(false);
    });
  });

  const compatiblePairs: [string, AvroNode, AvroNode][] = [
    ['boolean/boolean', BOOLEAN, BOOLEAN],
    ['int/int', INT, INT],
    ['long/int', LONG, INT],
    ['long/long', LONG, LONG],
    ['float/int', FLOAT, INT],
    ['float/long', FLOAT, LONG],
    ['double/long', DOUBLE, LONG],
    ['double/int', DOUBLE, INT],
    ['double/float', DOUBLE, FLOAT],
    ['string/string', STRING, STRING],
    ['bytes/bytes', BYTES, BYTES],
    ['string/bytes', STRING, BYTES],
    ['bytes/string', BYTES, STRING],
    ['int[]/int[]', INT_ARRAY, INT_ARRAY],
    ['long[]/int[]', LONG_ARRAY, INT_ARRAY],
    ['map<int>/map<int>', INT_MAP, INT_MAP],
    ['map<long>/map<int>', LONG_MAP, INT_MAP],
    ['Enum1 AB/AB', ENUM1_AB_SCHEMA, ENUM1_AB_SCHEMA],
    ['Enum1 ABC/AB', ENUM1_ABC_SCHEMA, ENUM1_AB_SCHEMA],
    ['[]/[]', EMPTY_UNION, EMPTY_UNION],
    ['[float]/[]', FLOAT_UNION, EMPTY_UNION],
    ['[float]/[int]', FLOAT_UNION, INT_UNION],
    ['[float]/[long]', FLOAT_UNION, LONG_UNION],
    ['[float]/[int,long]', FLOAT_UNION, INT_LONG_UNION],
    ['[int]/[int]', INT_UNION, INT_UNION],
    ['[int,string]/[string,int]', INT_STRING_UNION, STRING_INT_UNION],
    ['[int]/[]', INT_UNION, EMPTY_UNION],
    ['[long]/[]', LONG_UNION, EMPTY_UNION],
    ['[long]/[int]', LONG_UNION, INT_UNION],
    ['[double]/[int]', DOUBLE_UNION, INT_UNION],
    ['[double]/[long]', DOUBLE_UNION, LONG_UNION],
    ['[double]/[float]', DOUBLE_UNION, FLOAT_UNION],
    ['[string]/[]', STRING_UNION, EMPTY_UNION],
    ['[string]/[bytes]', STRING_UNION, BYTES_UNION],
    ['[bytes]/[]', BYTES_UNION, EMPTY_UNION],
    ['[bytes]/[string]', BYTES_UNION, STRING_UNION],
    ['[double]/[int,float]', DOUBLE_UNION, INT_FLOAT_UNION],
    ['float/[int,float]: a reader that reads every branch', FLOAT, INT_FLOAT_UNION],
    ['long/[int,long]', LONG, INT_LONG_UNION],
    ['double/[int,float]', DOUBLE, INT_FLOAT_UNION],
    ['double/[int,long,float,double]', DOUBLE, INT_LONG_FLOAT_DOUBLE_UNION],
    ['float/[float]: singleton union', FLOAT, FLOAT_UNION],
    ['[int]/int', INT_UNION, INT],
    ['int/[int]', INT, INT_UNION],
    ['fixed 4/fixed 4', FIXED_4_BYTES, FIXED_4_BYTES],
    ['empty record/empty record', EMPTY_RECORD1, EMPTY_RECORD1],
    ['empty record/{a:int}', EMPTY_RECORD1, A_INT_RECORD1],
    ['{a:int}/{a:int}', A_INT_RECORD1, A_INT_RECORD1],
    ['{a:int=0}/{a:int}', A_DINT_RECORD1, A_INT_RECORD1],
    ['{a:int=0}/{a:int=0}', A_DINT_RECORD1, A_DINT_RECORD1],
    ['{a:int}/{a:int=0}', A_INT_RECORD1, A_DINT_RECORD1],
    ['{a:long}/{a:int}', A_LONG_RECORD1, A_INT_RECORD1],
    ['{a:int}/{a:int,b:int}', A_INT_RECORD1, A_INT_B_INT_RECORD1],
    ['{a:int=0}/{a:int,b:int}', A_DINT_RECORD1, A_INT_B_INT_RECORD1],
    ['{a:int,b:int=0}/{a:int}', A_INT_B_DINT_RECORD1, A_INT_RECORD1],
    ['{a:int=0,b:int=0}/empty record', A_DINT_B_DINT_RECORD1, EMPTY_RECORD1],
    ['{a:int=0,b:int=0}/{a:int}', A_DINT_B_DINT_RECORD1, A_INT_RECORD1],
    ['{a:int,b:int}/{a:int=0,b:int=0}', A_INT_B_INT_RECORD1, A_DINT_B_DINT_RECORD1],
    ['null/null (object form)', node({ type: 'null' }), node({ type: 'null' })],
    ['null/null', NULL, NULL],
    ['enum AB default A / enum ABC default A', ENUM_AB_ENUM_DEFAULT_A_RECORD, ENUM_ABC_ENUM_DEFAULT_A_RECORD],
    [
      'enum AB field default A / enum ABC field default B',
      ENUM_AB_FIELD_DEFAULT_A_ENUM_DEFAULT_B_RECORD,
      ENUM_ABC_FIELD_DEFAULT_B_ENUM_DEFAULT_A_RECORD,
    ],
    ['inner record moved to another namespace', NS_RECORD1, NS_RECORD2],
    ['record without/with namespace', WITHOUT_NAMESPACE_RECORD, WITH_NAMESPACE_RECORD],
  ];
  it.each(compatiblePairs)('test_schema_compatibility: %s is compatible', (_name, reader, writer) => {
    expect(checkReaderWriter(reader, writer)).toEqual([]);
  });

  it.each([
    [FIXED_4_BYTES, FIXED_8_BYTES, 'expected: 8, found: 4', '/size'],
    [FIXED_8_BYTES, FIXED_4_BYTES, 'expected: 4, found: 8', '/size'],
    [A_DINT_B_DFIXED_8_BYTES_RECORD1, A_DINT_B_DFIXED_4_BYTES_RECORD1, 'expected: 4, found: 8', '/fields/1/type/size'],
    [A_DINT_B_DFIXED_4_BYTES_RECORD1, A_DINT_B_DFIXED_8_BYTES_RECORD1, 'expected: 8, found: 4', '/fields/1/type/size'],
  ])('test_schema_compatibility_fixed_size_mismatch #%#: %s', (reader, writer, message, location) => {
    expect(checkReaderWriter(reader, writer)).toContainEqual({ kind: 'FIXED_SIZE_MISMATCH', message, location });
  });

  it.each([
    [ENUM1_AB_SCHEMA, ENUM1_ABC_SCHEMA, 'C', '/symbols'],
    [ENUM1_BC_SCHEMA, ENUM1_ABC_SCHEMA, 'A', '/symbols'],
    [RECORD1_WITH_ENUM_AB, RECORD1_WITH_ENUM_ABC, 'C', '/fields/0/type/symbols'],
  ])('test_schema_compatibility_missing_enum_symbols #%#', (reader, writer, symbols, location) => {
    expect(checkReaderWriter(reader, writer)).toEqual([
      { kind: 'MISSING_ENUM_SYMBOLS', message: `reader enum lacks writer symbols: ${symbols}`, location },
    ]);
  });

  it.each([
    [INT_UNION, INT_STRING_UNION, ['STRING'], ['/1']],
    [STRING_UNION, INT_STRING_UNION, ['INT'], ['/0']],
    [INT_UNION, UNION_INT_RECORD1, ['RECORD'], ['/1']],
    [INT_UNION, UNION_INT_RECORD2, ['RECORD'], ['/1']],
    [UNION_INT_RECORD1, UNION_INT_RECORD2, ['RECORD'], ['/1']],
    [INT_UNION, UNION_INT_ENUM1_AB, ['ENUM'], ['/1']],
    [INT_UNION, UNION_INT_FIXED_4_BYTES, ['FIXED'], ['/1']],
    [INT_UNION, UNION_INT_BOOLEAN, ['BOOLEAN'], ['/1']],
    [INT_UNION, LONG_UNION, ['LONG'], ['/0']],
    [INT_UNION, FLOAT_UNION, ['FLOAT'], ['/0']],
    [INT_UNION, DOUBLE_UNION, ['DOUBLE'], ['/0']],
    [INT_UNION, BYTES_UNION, ['BYTES'], ['/0']],
    [INT_UNION, UNION_INT_ARRAY_INT, ['ARRAY'], ['/1']],
    [INT_UNION, UNION_INT_MAP_INT, ['MAP'], ['/1']],
    [INT_UNION, UNION_INT_NULL, ['NULL'], ['/1']],
    [INT_UNION, INT_LONG_FLOAT_DOUBLE_UNION, ['LONG', 'FLOAT', 'DOUBLE'], ['/1', '/2', '/3']],
    [A_DINT_B_DINT_UNION_RECORD1, A_DINT_B_DINT_STRING_UNION_RECORD1, ['STRING'], ['/fields/1/type/1']],
  ])('test_schema_compatibility_missing_union_branch #%#', (reader, writer, types, locations) => {
    const problems = checkReaderWriter(reader, writer);
    expect(problems.map((p) => p.message)).toEqual(types.map((t) => `reader union lacking writer type: ${t}`));
    expect(problems.map((p) => p.location)).toEqual(locations);
    expect(new Set(problems.map((p) => p.kind))).toEqual(new Set(['MISSING_UNION_BRANCH']));
  });

  it.each([
    [ENUM1_AB_SCHEMA, ENUM2_AB_SCHEMA, 'expected: Enum2', '/name'],
    [EMPTY_RECORD2, EMPTY_RECORD1, 'expected: Record1', '/name'],
    [FIXED_4_BYTES, FIXED_4_ANOTHER_NAME, 'expected: AnotherName', '/name'],
    [A_DINT_B_DENUM_1_RECORD1, A_DINT_B_DENUM_2_RECORD1, 'expected: Enum2', '/fields/1/type/name'],
  ])('test_schema_compatibility_name_mismatch #%#: %s', (reader, writer, message, location) => {
    expect(checkReaderWriter(reader, writer)).toContainEqual({ kind: 'NAME_MISMATCH', message, location });
  });

  it.each([
    [A_INT_RECORD1, EMPTY_RECORD1],
    [A_INT_B_DINT_RECORD1, EMPTY_RECORD1],
  ])('test_schema_compatibility_reader_field_missing_default_value #%#', (reader, writer) => {
    expect(checkReaderWriter(reader, writer)).toEqual([
      { kind: 'READER_FIELD_MISSING_DEFAULT_VALUE', message: 'a', location: '/fields/0' },
    ]);
  });

  const typeMismatches: [AvroNode, AvroNode, string, string, string][] = [
    [NULL, INT, 'null', 'int', '/'],
    [NULL, LONG, 'null', 'long', '/'],
    [BOOLEAN, INT, 'boolean', 'int', '/'],
    [INT, NULL, 'int', 'null', '/'],
    [INT, BOOLEAN, 'int', 'boolean', '/'],
    [INT, LONG, 'int', 'long', '/'],
    [INT, FLOAT, 'int', 'float', '/'],
    [INT, DOUBLE, 'int', 'double', '/'],
    [LONG, FLOAT, 'long', 'float', '/'],
    [LONG, DOUBLE, 'long', 'double', '/'],
    [FLOAT, DOUBLE, 'float', 'double', '/'],
    [DOUBLE, STRING, 'double', 'string', '/'],
    [FIXED_4_BYTES, STRING, 'fixed', 'string', '/'],
    [STRING, BOOLEAN, 'string', 'boolean', '/'],
    [STRING, INT, 'string', 'int', '/'],
    [BYTES, NULL, 'bytes', 'null', '/'],
    [BYTES, INT, 'bytes', 'int', '/'],
    [A_INT_RECORD1, INT, 'record', 'int', '/'],
    [INT_ARRAY, LONG_ARRAY, 'int', 'long', '/items'],
    [INT_MAP, INT_ARRAY, 'map', 'array', '/'],
    [INT_ARRAY, INT_MAP, 'array', 'map', '/'],
    [INT_MAP, LONG_MAP, 'int', 'long', '/values'],
    [INT, ENUM2_AB_SCHEMA, 'int', 'enum', '/'],
    [ENUM2_AB_SCHEMA, INT, 'enum', 'int', '/'],
    [FLOAT, INT_LONG_FLOAT_DOUBLE_UNION, 'float', 'double', '/3'],
    [LONG, INT_FLOAT_UNION, 'long', 'float', '/1'],
    [INT, INT_FLOAT_UNION, 'int', 'float', '/1'],
    [INT, INT_STRING_UNION, 'int', 'string', '/1'],
    [A_DINT_RECORD1, A_DINT_OPTIONAL_RECORD1, 'int', 'null', '/fields/0/type/0'],
  ];
  it.each(typeMismatches)('test_schema_compatibility_type_mismatch: %#', (reader, writer, readerType, writerType, location) => {
    const message = `reader type: ${readerType} not compatible with writer type: ${writerType}`;
    expect(checkReaderWriter(reader, writer)).toContainEqual({ kind: 'TYPE_MISMATCH', message, location });
  });

  it("the null union of Avro's suite reads only null", () => {
    expect(compatible(NULL_UNION, NULL)).toBe(true);
    expect(compatible(NULL_UNION, INT)).toBe(false);
  });
});
