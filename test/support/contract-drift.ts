import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Compares a TypeScript type, as the compiler sees it, with an Avro schema, field by field and both
 * ways: every property of the type must be a field of the record and every field a property, with
 * compatible types all the way down (nested records, named references, arrays, enums, unions with
 * null). It is how `src/contracts/event-contracts.unit.spec.ts` keeps the payload types of
 * `topic-payloads.ts` and the schemas of `schemas.ts` from drifting apart.
 *
 * Compatible means: `string` ↔ string, `long` ↔ bigint (money and offsets stay exact), `int`,
 * `float`, `double` ↔ number, `boolean` ↔ boolean, an enum ↔ the union of its symbols as string
 * literals, `["null", X]` ↔ `X | null`, an array ↔ an array of the item type. A property that is
 * optional in TypeScript (`name?:`) needs a default in Avro, since a writer may leave it out.
 */
export interface DeclaredTypes {
  /** The type of an exported interface or type alias of `file` (a path from the repository root). */
  declared(file: string, name: string): ts.Type;
  /** The properties of a type: name → type. */
  properties(type: ts.Type): Map<string, ts.Type>;
  /** Where `type` and `schema` differ, one line each (`path: what`); none when they agree. */
  drift(type: ts.Type, schema: unknown, path: string): string[];
}

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Compiles `files` (paths from the repository root) once, for their declarations only. */
export function declaredTypes(files: readonly string[]): DeclaredTypes {
  const program = ts.createProgram(
    files.map((file) => repositoryRoot + file),
    {
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2024,
      types: [],
      skipLibCheck: true,
    },
  );
  const checker = program.getTypeChecker();
  return {
    declared(file, name) {
      const source = program.getSourceFile(repositoryRoot + file);
      if (!source) throw new Error(`${file} is not in the program`);
      const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find((candidate) => candidate.name === name);
      if (!symbol) throw new Error(`${file} exports no ${name}`);
      return checker.getDeclaredTypeOfSymbol(symbol);
    },
    properties: (type) => propertiesOf(checker, type),
    drift(type, schema, path) {
      const named = new Map<string, unknown>();
      collectNames(schema, undefined, named);
      return compare(checker, members(type), schema, path, { named, namespace: undefined });
    },
  };
}

interface Scope {
  named: Map<string, unknown>;
  namespace: string | undefined;
}

type AvroObject = { type: unknown; name?: string; namespace?: string; fields?: AvroField[]; symbols?: string[]; items?: unknown };
type AvroField = { name: string; type: unknown; default?: unknown };

const primitiveFlags: Record<string, ts.TypeFlags> = {
  string: ts.TypeFlags.String,
  long: ts.TypeFlags.BigInt,
  int: ts.TypeFlags.Number,
  float: ts.TypeFlags.Number,
  double: ts.TypeFlags.Number,
  null: ts.TypeFlags.Null,
};

function compare(checker: ts.TypeChecker, types: ts.Type[], schema: unknown, path: string, scope: Scope): string[] {
  const shown = types.map((type) => checker.typeToString(type)).join(' | ');
  if (Array.isArray(schema)) return compareUnion(checker, types, schema, path, scope);
  if (schema !== 'null' && types.some((type) => type.flags & ts.TypeFlags.Null)) return [`${path}: nullable only in TypeScript`];
  if (typeof schema === 'string') {
    if (schema === 'boolean') return isBoolean(types) ? [] : [`${path}: ${shown} in TypeScript, boolean in Avro`];
    const flag = primitiveFlags[schema];
    if (flag !== undefined)
      return types.length === 1 && types[0]!.flags & flag ? [] : [`${path}: ${shown} in TypeScript, ${schema} in Avro`];
    const fullName = schema.includes('.') || !scope.namespace ? schema : `${scope.namespace}.${schema}`;
    if (!scope.named.has(fullName)) return [`${path}: Avro names ${schema}, which is not defined`];
    return compare(checker, types, scope.named.get(fullName), path, scope);
  }
  const avro = schema as AvroObject;
  const namespace = avro.namespace ?? scope.namespace;
  switch (avro.type) {
    case 'record':
      return compareRecord(checker, types, avro, path, { ...scope, namespace });
    case 'enum': {
      const literals = types.map((type) => (type.flags & ts.TypeFlags.StringLiteral ? (type as ts.StringLiteralType).value : undefined));
      if (literals.includes(undefined)) return [`${path}: ${shown} in TypeScript, enum ${avro.name} in Avro`];
      const symbols = avro.symbols ?? [];
      return [
        ...literals.filter((literal) => !symbols.includes(literal!)).map((literal) => `${path}: '${literal}' only in TypeScript`),
        ...symbols.filter((symbol) => !literals.includes(symbol)).map((symbol) => `${path}: '${symbol}' only in Avro (enum ${avro.name})`),
      ];
    }
    case 'array':
      if (types.length !== 1 || !checker.isArrayType(types[0]!)) return [`${path}: ${shown} in TypeScript, an array in Avro`];
      return compare(checker, members(checker.getTypeArguments(types[0] as ts.TypeReference)[0]!), avro.items, `${path}[]`, {
        ...scope,
        namespace,
      });
    default:
      // `{ "type": "long" }` and friends: a primitive written as an object (a logical type would go here).
      if (typeof avro.type === 'string' && (avro.type in primitiveFlags || avro.type === 'boolean'))
        return compare(checker, types, avro.type, path, scope);
      return [`${path}: Avro type ${JSON.stringify(avro.type)} is not supported by this check`];
  }
}

/** A union with null on both sides or on neither; what remains must match the one other branch. */
function compareUnion(checker: ts.TypeChecker, types: ts.Type[], branches: unknown[], path: string, scope: Scope): string[] {
  const nullableInTs = types.some((type) => type.flags & ts.TypeFlags.Null);
  const nullableInAvro = branches.includes('null');
  if (nullableInTs !== nullableInAvro) return [`${path}: ${nullableInTs ? 'nullable only in TypeScript' : 'nullable only in Avro'}`];
  const others = branches.filter((branch) => branch !== 'null');
  if (others.length !== 1) return [`${path}: an Avro union of ${others.length} non-null branches is not supported by this check`];
  return compare(
    checker,
    types.filter((type) => !(type.flags & ts.TypeFlags.Null)),
    others[0],
    path,
    scope,
  );
}

function compareRecord(checker: ts.TypeChecker, types: ts.Type[], record: AvroObject, path: string, scope: Scope): string[] {
  if (types.length !== 1 || !(types[0]!.flags & ts.TypeFlags.Object) || checker.isArrayType(types[0]!))
    return [`${path}: ${types.map((type) => checker.typeToString(type)).join(' | ')} in TypeScript, record ${record.name} in Avro`];
  const properties = propertiesOf(checker, types[0]!);
  const optional = new Set([...properties.keys()].filter((name) => types[0]!.getProperty(name)!.flags & ts.SymbolFlags.Optional));
  const fields = new Map((record.fields ?? []).map((field) => [field.name, field]));
  const drift: string[] = [];
  for (const name of properties.keys()) if (!fields.has(name)) drift.push(`${path}.${name}: only in TypeScript`);
  for (const [name, field] of fields) {
    const property = properties.get(name);
    if (!property) {
      drift.push(`${path}.${name}: only in Avro (record ${record.name})`);
      continue;
    }
    if (optional.has(name) && !('default' in field)) drift.push(`${path}.${name}: optional in TypeScript, no default in Avro`);
    drift.push(
      ...compare(
        checker,
        members(property).filter((type) => !(type.flags & ts.TypeFlags.Undefined)),
        field.type,
        `${path}.${name}`,
        scope,
      ),
    );
  }
  return drift;
}

function propertiesOf(checker: ts.TypeChecker, type: ts.Type): Map<string, ts.Type> {
  return new Map(checker.getPropertiesOfType(type).map((property) => [property.name, checker.getTypeOfSymbol(property)]));
}

/** The members of a union (a type alone otherwise); `boolean` is the union `true | false`. */
function members(type: ts.Type): ts.Type[] {
  return type.isUnion() ? [...type.types] : [type];
}

function isBoolean(types: ts.Type[]): boolean {
  return types.length === 2 && types.every((type) => type.flags & ts.TypeFlags.BooleanLiteral);
}

/** Every named record and enum of a schema by full name, so a later field may refer to it by name. */
function collectNames(schema: unknown, namespace: string | undefined, named: Map<string, unknown>): void {
  if (Array.isArray(schema)) {
    for (const branch of schema) collectNames(branch, namespace, named);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  const avro = schema as AvroObject;
  const own = avro.namespace ?? namespace;
  if ((avro.type === 'record' || avro.type === 'enum') && avro.name)
    named.set(avro.name.includes('.') || !own ? avro.name : `${own}.${avro.name}`, schema);
  for (const field of avro.fields ?? []) collectNames(field.type, own, named);
  if (avro.items !== undefined) collectNames(avro.items, own, named);
  if (typeof avro.type === 'object') collectNames(avro.type, own, named);
}
