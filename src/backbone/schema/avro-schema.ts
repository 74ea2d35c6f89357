import { createAvroType } from './avro-types.ts';
import { registryErrors } from './schema-registry.ts';

/**
 * An Avro schema parsed into a tree the compatibility checker can walk: named types resolved to
 * their full names, references replaced by the node they name (so recursive schemas are cyclic
 * graphs), logical type attributes kept (avsc drops them unless it knows the logical type).
 */
export type AvroNode = PrimitiveNode | RecordNode | EnumNode | FixedNode | ArrayNode | MapNode | UnionNode;

export type PrimitiveName = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export interface LogicalInfo {
  name: string;
  /** Decimals only; scale defaults to 0 as the Avro specification says. */
  precision?: number;
  scale?: number;
}

export interface PrimitiveNode {
  kind: PrimitiveName;
  logical?: LogicalInfo;
}
export interface NamedBase {
  /** Full name (namespace.name). */
  fullName: string;
  /** Name without namespace: the checker compares these, as Avro's own checkers do. */
  name: string;
  /** Full names of the aliases. */
  aliases: string[];
}
export interface RecordNode extends NamedBase {
  kind: 'record';
  fields: FieldNode[];
}
export interface FieldNode {
  name: string;
  aliases: string[];
  type: AvroNode;
  hasDefault: boolean;
}
export interface EnumNode extends NamedBase {
  kind: 'enum';
  symbols: string[];
  default?: string;
}
export interface FixedNode extends NamedBase {
  kind: 'fixed';
  size: number;
  logical?: LogicalInfo;
}
export interface ArrayNode {
  kind: 'array';
  items: AvroNode;
}
export interface MapNode {
  kind: 'map';
  values: AvroNode;
}
export interface UnionNode {
  kind: 'union';
  branches: AvroNode[];
}

export interface ParsedSchema {
  /** The schema text as stored and compared: its JSON re-serialised without insignificant whitespace. */
  canonical: string;
  root: AvroNode;
}

/**
 * Parses and validates a schema text. Anything avsc refuses (bad names, defaults that do not match
 * their type), and any decimal whose precision or scale is invalid, is SCHEMA_INVALID: money must
 * never land in a schema whose decimal avsc would silently read as plain bytes.
 */
export function parseSchema(text: string): ParsedSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw registryErrors.invalidSchema(`not JSON (${(error as Error).message})`, error);
  }
  try {
    createAvroType(json);
  } catch (error) {
    throw registryErrors.invalidSchema((error as Error).message, error);
  }
  const root = new NodeBuilder().build(json, '');
  return { canonical: JSON.stringify(json), root };
}

/** The canonical text of a schema, for identity: equal schemas have equal canonical texts. */
export function canonicalSchema(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw registryErrors.invalidSchema(`not JSON (${(error as Error).message})`, error);
  }
}

const primitives: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

type Json = Record<string, unknown>;

/** Builds nodes with a table of the named types seen so far, as Avro's own parsers do. */
class NodeBuilder {
  readonly #named = new Map<string, AvroNode>();

  build(schema: unknown, namespace: string): AvroNode {
    if (typeof schema === 'string') return this.#reference(schema, namespace);
    if (Array.isArray(schema)) return { kind: 'union', branches: schema.map((branch) => this.build(branch, namespace)) };
    const json = schema as Json;
    const type = json['type'];
    if (typeof type !== 'string') return this.build(type, namespace);
    switch (type) {
      case 'record':
      case 'error':
        return this.#record(json, namespace);
      case 'enum':
        return this.#enum(json, namespace);
      case 'fixed':
        return this.#fixed(json, namespace);
      case 'array':
        return { kind: 'array', items: this.build(json['items'], namespace) };
      case 'map':
        return { kind: 'map', values: this.build(json['values'], namespace) };
      default:
        if (!primitives.has(type)) return this.#reference(type, namespace);
        return withLogical<PrimitiveNode>({ kind: type as PrimitiveName }, json);
    }
  }

  #reference(name: string, namespace: string): AvroNode {
    if (primitives.has(name)) return { kind: name as PrimitiveName };
    const node = this.#named.get(qualify(name, namespace)) ?? this.#named.get(name);
    // avsc validated the schema already, so an unknown name here is a bug in this builder.
    if (!node) throw new Error(`avro-schema: unresolved type name ${name}`);
    return node;
  }

  #record(json: Json, outer: string): RecordNode {
    const names = namesOf(json, outer);
    const node: RecordNode = { kind: 'record', ...names.named, fields: [] };
    this.#named.set(node.fullName, node); // before the fields: they may refer to the record itself
    for (const field of json['fields'] as Json[]) {
      node.fields.push({
        name: field['name'] as string,
        aliases: (field['aliases'] as string[] | undefined) ?? [],
        type: this.build(field['type'], names.namespace),
        hasDefault: 'default' in field,
      });
    }
    return node;
  }

  #enum(json: Json, outer: string): EnumNode {
    const node: EnumNode = { kind: 'enum', ...namesOf(json, outer).named, symbols: json['symbols'] as string[] };
    if (typeof json['default'] === 'string') node.default = json['default'];
    this.#named.set(node.fullName, node);
    return node;
  }

  #fixed(json: Json, outer: string): FixedNode {
    const node = withLogical<FixedNode>({ kind: 'fixed', ...namesOf(json, outer).named, size: json['size'] as number }, json);
    this.#named.set(node.fullName, node);
    return node;
  }
}

function namesOf(json: Json, outer: string): { named: NamedBase; namespace: string } {
  const rawName = json['name'] as string;
  const dot = rawName.lastIndexOf('.');
  const namespace = dot >= 0 ? rawName.slice(0, dot) : typeof json['namespace'] === 'string' ? json['namespace'] : outer;
  const name = dot >= 0 ? rawName.slice(dot + 1) : rawName;
  const aliases = ((json['aliases'] as string[] | undefined) ?? []).map((alias) => qualify(alias, namespace));
  return { named: { fullName: qualify(name, namespace), name, aliases }, namespace };
}

function qualify(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

/** Keeps a logical type's attributes; `createAvroType` has already refused invalid decimals. */
function withLogical<T extends { logical?: LogicalInfo }>(node: T, json: Json): T {
  const name = json['logicalType'];
  if (typeof name !== 'string') return node;
  if (name !== 'decimal') return { ...node, logical: { name } };
  return { ...node, logical: { name, precision: json['precision'] as number, scale: (json['scale'] as number | undefined) ?? 0 } };
}
