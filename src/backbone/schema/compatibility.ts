import type { ArrayNode, AvroNode, EnumNode, MapNode, FixedNode, LogicalInfo, NamedBase, RecordNode, UnionNode } from './avro-schema.ts';
import type { CompatibilityMode } from './schema-registry.ts';

/**
 * Avro schema compatibility, as a pure function of parsed schemas.
 *
 * `checkReaderWriter` answers "can data written with `writer` be read with `reader`?" by the schema
 * resolution rules of the Avro specification, the way Avro's own checkers (Java
 * `SchemaCompatibility`, Python `avro.compatibility`) answer it, and reports every incompatibility
 * with its place in the reader schema (`/fields/1/type/size`). On top of those rules it refuses
 * what they let through but what would change the meaning of stored data: a decimal whose scale
 * changes (12.34 read as 1.234), whose precision shrinks, or that turns into plain bytes or back;
 * and a logical type that turns into another one (timestamp-millis read as timestamp-micros).
 *
 * Not avsc's `createResolver`: it does not look at logical type attributes, so it accepts a
 * decimal's scale change, and it stops at the first problem.
 */
export function checkReaderWriter(reader: AvroNode, writer: AvroNode): Incompatibility[] {
  return new Checker().check(reader, writer, []);
}

export interface Incompatibility {
  kind: IncompatibilityKind;
  message: string;
  /** JSON-pointer-like place in the reader schema; `/` is the root. */
  location: string;
}

export type IncompatibilityKind =
  | 'NAME_MISMATCH'
  | 'FIXED_SIZE_MISMATCH'
  | 'MISSING_ENUM_SYMBOLS'
  | 'READER_FIELD_MISSING_DEFAULT_VALUE'
  | 'TYPE_MISMATCH'
  | 'MISSING_UNION_BRANCH'
  | 'DECIMAL_SCALE_MISMATCH'
  | 'DECIMAL_PRECISION_NARROWED'
  | 'LOGICAL_TYPE_MISMATCH';

export interface VersionedSchema {
  version: number;
  root: AvroNode;
}

/**
 * Checks a candidate schema against the existing versions of a subject (ascending), as `mode`
 * says: BACKWARD means the candidate reads what the older versions wrote; FORWARD that the older
 * versions read what the candidate writes; FULL both. Without TRANSITIVE only the latest version
 * counts; with it every version does. Returns one message per incompatibility (empty: compatible).
 */
export function checkAgainstVersions(mode: CompatibilityMode, candidate: AvroNode, versions: readonly VersionedSchema[]): string[] {
  const compared = mode.endsWith('_TRANSITIVE') ? versions : versions.slice(-1);
  const backward = mode.startsWith('BACKWARD') || mode.startsWith('FULL');
  const forward = mode.startsWith('FORWARD') || mode.startsWith('FULL');
  const messages: string[] = [];
  for (const existing of compared) {
    if (backward) {
      for (const problem of checkReaderWriter(candidate, existing.root)) {
        messages.push(`new schema cannot read data written by version ${existing.version}: ${describe(problem)}`);
      }
    }
    if (forward) {
      for (const problem of checkReaderWriter(existing.root, candidate)) {
        messages.push(`version ${existing.version} cannot read data written by the new schema: ${describe(problem)}`);
      }
    }
  }
  return messages;
}

function describe(problem: Incompatibility): string {
  return `${problem.message} at ${problem.location} (${problem.kind})`;
}

type Path = readonly (string | number)[];

const promotions: Readonly<Record<string, readonly string[]>> = {
  long: ['int'],
  float: ['int', 'long'],
  double: ['int', 'long', 'float'],
  string: ['bytes'],
  bytes: ['string'],
};

class Checker {
  /**
   * Record pairs already being (or done being) checked: recursive schemas would otherwise loop
   * forever. A pair met again while it is being checked is taken as compatible, as Avro does.
   */
  readonly #seen: Map<AvroNode, Set<AvroNode>>;

  constructor(seen = new Map<AvroNode, Set<AvroNode>>()) {
    this.#seen = seen;
  }

  check(reader: AvroNode, writer: AvroNode, path: Path): Incompatibility[] {
    if (this.#alreadySeen(reader, writer)) return [];
    if (writer.kind === 'union') return this.#writerUnion(reader, writer, path);
    if (reader.kind === 'union') return this.#readerUnion(reader, writer, path);
    if (reader.kind !== writer.kind) {
      if (promotions[reader.kind]?.includes(writer.kind)) return logicalProblems(reader, writer, path);
      return [typeMismatch(reader, writer, path)];
    }
    switch (reader.kind) {
      case 'array':
        return this.check(reader.items, (writer as ArrayNode).items, [...path, 'items']);
      case 'map':
        return this.check(reader.values, (writer as MapNode).values, [...path, 'values']);
      case 'record':
        return this.#record(reader, writer as RecordNode, path);
      case 'enum':
        return enumProblems(reader, writer as EnumNode, path);
      case 'fixed':
        return fixedProblems(reader, writer as FixedNode, path);
      default:
        return logicalProblems(reader, writer, path);
    }
  }

  #alreadySeen(reader: AvroNode, writer: AvroNode): boolean {
    if (reader.kind !== 'record') return false;
    const writers = this.#seen.get(reader) ?? new Set<AvroNode>();
    if (writers.has(writer)) return true;
    writers.add(writer);
    this.#seen.set(reader, writers);
    return false;
  }

  /** Every branch the writer may have used must be readable. */
  #writerUnion(reader: AvroNode, writer: UnionNode, path: Path): Incompatibility[] {
    return writer.branches.flatMap((branch, index) => this.check(reader, branch, [...path, index]));
  }

  /** Some branch of the reader must read the writer's type (Avro's own checkers ask no more). */
  #readerUnion(reader: UnionNode, writer: AvroNode, path: Path): Incompatibility[] {
    for (const branch of reader.branches) {
      // A trial on a copy: pairs a failed trial marked as seen must not pass later checks.
      const trial = new Checker(new Map([...this.#seen].map(([r, ws]) => [r, new Set(ws)])));
      if (trial.check(branch, writer, path).length === 0) return [];
    }
    return [
      { kind: 'MISSING_UNION_BRANCH', message: `reader union lacking writer type: ${writer.kind.toUpperCase()}`, location: pointer(path) },
    ];
  }

  #record(reader: RecordNode, writer: RecordNode, path: Path): Incompatibility[] {
    const nameProblem = namesMatch(reader, writer) ? [] : [nameMismatch(writer, path)];
    const fieldProblems = reader.fields.flatMap((field, index) => {
      const written = writer.fields.find((w) => w.name === field.name) ?? writer.fields.find((w) => field.aliases.includes(w.name));
      if (written) return this.check(field.type, written.type, [...path, 'fields', index, 'type']);
      if (field.hasDefault) return [];
      return [{ kind: 'READER_FIELD_MISSING_DEFAULT_VALUE' as const, message: field.name, location: pointer([...path, 'fields', index]) }];
    });
    return [...nameProblem, ...fieldProblems];
  }
}

/**
 * Avro's checkers compare unqualified names, so moving a type to another namespace stays
 * compatible; a reader alias naming the writer's full name also matches.
 */
function namesMatch(reader: NamedBase, writer: NamedBase): boolean {
  return reader.name === writer.name || reader.aliases.includes(writer.fullName);
}

function nameMismatch(writer: NamedBase, path: Path): Incompatibility {
  return { kind: 'NAME_MISMATCH', message: `expected: ${writer.fullName}`, location: pointer([...path, 'name']) };
}

function enumProblems(reader: EnumNode, writer: EnumNode, path: Path): Incompatibility[] {
  if (!namesMatch(reader, writer)) return [nameMismatch(writer, path)];
  const missing = writer.symbols.filter((symbol) => !reader.symbols.includes(symbol));
  // A reader enum default stands in for symbols it does not know.
  if (missing.length === 0 || reader.default !== undefined) return [];
  return [
    {
      kind: 'MISSING_ENUM_SYMBOLS',
      message: `reader enum lacks writer symbols: ${missing.join(', ')}`,
      location: pointer([...path, 'symbols']),
    },
  ];
}

function fixedProblems(reader: FixedNode, writer: FixedNode, path: Path): Incompatibility[] {
  if (!namesMatch(reader, writer)) return [nameMismatch(writer, path)];
  if (reader.size !== writer.size) {
    return [
      { kind: 'FIXED_SIZE_MISMATCH', message: `expected: ${writer.size}, found: ${reader.size}`, location: pointer([...path, 'size']) },
    ];
  }
  return logicalProblems(reader, writer, path);
}

/** The rules beyond the Avro specification: see the comment on `checkReaderWriter`. */
function logicalProblems(reader: AvroNode, writer: AvroNode, path: Path): Incompatibility[] {
  const r = logicalOf(reader);
  const w = logicalOf(writer);
  if (r?.name === 'decimal' && w?.name === 'decimal') return decimalProblems(r, w, path);
  const decimalOnOneSide = r?.name === 'decimal' || w?.name === 'decimal';
  const twoDifferentLogicalTypes = r !== undefined && w !== undefined && r.name !== w.name;
  if (!decimalOnOneSide && !twoDifferentLogicalTypes) return [];
  return [
    {
      kind: 'LOGICAL_TYPE_MISMATCH',
      message: `reader logical type: ${r?.name ?? 'none'} not compatible with writer logical type: ${w?.name ?? 'none'}`,
      location: pointer([...path, 'logicalType']),
    },
  ];
}

function logicalOf(node: AvroNode): LogicalInfo | undefined {
  return 'logical' in node ? node.logical : undefined;
}

function decimalProblems(reader: LogicalInfo, writer: LogicalInfo, path: Path): Incompatibility[] {
  const problems: Incompatibility[] = [];
  if (reader.scale !== writer.scale) {
    problems.push({
      kind: 'DECIMAL_SCALE_MISMATCH',
      message: `decimal scale changed: expected: ${writer.scale}, found: ${reader.scale}`,
      location: pointer([...path, 'scale']),
    });
  }
  if ((reader.precision ?? 0) < (writer.precision ?? 0)) {
    problems.push({
      kind: 'DECIMAL_PRECISION_NARROWED',
      message: `decimal precision narrowed: writer ${writer.precision}, reader ${reader.precision}`,
      location: pointer([...path, 'precision']),
    });
  }
  return problems;
}

function typeMismatch(reader: AvroNode, writer: AvroNode, path: Path): Incompatibility {
  return {
    kind: 'TYPE_MISMATCH',
    message: `reader type: ${reader.kind} not compatible with writer type: ${writer.kind}`,
    location: pointer(path),
  };
}

function pointer(path: Path): string {
  return `/${path.join('/')}`;
}
