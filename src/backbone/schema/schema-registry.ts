import { BackboneError, ErrorCodes, type ErrorCode } from '../errors.ts';

/**
 * The schema registry port: where event contracts (Avro schemas) are registered per subject, each
 * with a compatibility mode that every new version must satisfy.
 *
 * Two adapters implement it: a registry built into the database (`schema-registry-builtin/`, which
 * also serves the Confluent Schema Registry REST API) and a client for any Confluent-compatible
 * registry (`schema-registry-http/`). Both pass the contract suite in `schema-registry.contract.ts`.
 * Wrap either in `CachingSchemaRegistry` so that a registry outage stops neither producers nor
 * consumers once they have seen their schemas.
 *
 * Schemas are Avro schema texts (JSON). Ids are global: one id per distinct schema, whatever the
 * subject, and an id once given always means the same schema (so it may be cached forever).
 */
export interface SchemaRegistry {
  /**
   * Registers `schema` under `subject` and resolves to its global id. Idempotent: registering a
   * schema the subject already holds returns that schema's id without a new version. A new schema
   * gets the next version only if it is compatible, under the subject's mode, with the versions that
   * mode compares against; otherwise it rejects with SCHEMA_INCOMPATIBLE and nothing is stored.
   * Invalid Avro rejects with SCHEMA_INVALID. Safe to call concurrently, from many processes: two
   * registrations of one schema get one id and one version.
   */
  register(subject: string, schema: string): Promise<number>;

  /** The version of `subject` that holds `schema`, or SCHEMA_NOT_FOUND. Never registers. */
  lookup(subject: string, schema: string): Promise<SubjectVersion>;

  /** The schema with global id `id`, or SCHEMA_NOT_FOUND. The answer never changes for an id. */
  getById(id: number): Promise<string>;

  /** The newest version of `subject`, or SCHEMA_NOT_FOUND if the subject has none. */
  getLatest(subject: string): Promise<SubjectVersion>;

  /** Version `version` (1-based) of `subject`, or SCHEMA_NOT_FOUND. */
  getVersion(subject: string, version: number): Promise<SubjectVersion>;

  /** Every subject with at least one version, in name order. */
  listSubjects(): Promise<string[]>;

  /** The versions of `subject`, ascending; SCHEMA_NOT_FOUND if it has none. */
  listVersions(subject: string): Promise<number[]>;

  /**
   * Whether `schema` could be registered under `subject`, without registering it. With `'latest'`
   * it is checked against exactly what `register` would check against (the latest version, or all
   * of them in a TRANSITIVE mode), so it serves as a CI gate; a subject with no versions is
   * compatible. With a version number it is checked against that version alone.
   */
  checkCompatibility(subject: string, schema: string, version?: number | 'latest'): Promise<CompatibilityResult>;

  /** The mode of `subject` (falling back to the global mode), or the global mode when no subject. */
  getCompatibility(subject?: string): Promise<CompatibilityMode>;

  /**
   * Sets the mode of `subject`, or the global mode when no subject. NONE is refused with
   * SCHEMA_INVALID: paystream never lets a contract change without a compatibility rule.
   */
  setCompatibility(mode: CompatibilityMode, subject?: string): Promise<void>;
}

export const compatibilityModes = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;

/** The modes paystream accepts. NONE is not one of them. */
export type CompatibilityMode = (typeof compatibilityModes)[number];

/** The global mode when none was set. */
export const defaultCompatibilityMode: CompatibilityMode = 'BACKWARD';

export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
}

export interface CompatibilityResult {
  compatible: boolean;
  /** Why not, one line per incompatibility, naming the version and the place in the schema. */
  messages: string[];
}

/**
 * Confluent Schema Registry error codes, carried on registry errors so that the REST layer can
 * answer with the code a Confluent client expects and the HTTP client can keep what the server said.
 */
export const RegistryErrorCodes = {
  SUBJECT_NOT_FOUND: 40401,
  VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  SUBJECT_COMPATIBILITY_NOT_CONFIGURED: 40408,
  INCOMPATIBLE_SCHEMA: 409,
  INVALID_SCHEMA: 42201,
  INVALID_VERSION: 42202,
  INVALID_COMPATIBILITY_LEVEL: 42203,
  STORE_ERROR: 50001,
  UNAVAILABLE: 50003,
} as const;

export type RegistryErrorCode = (typeof RegistryErrorCodes)[keyof typeof RegistryErrorCodes];

/** A `BackboneError` that also carries the Confluent error code. */
export class SchemaRegistryError extends BackboneError {
  /** One of `RegistryErrorCodes`, or what another registry answered. */
  readonly registryCode: number;

  constructor(code: ErrorCode, registryCode: number, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'SchemaRegistryError';
    this.registryCode = registryCode;
  }
}

export const registryErrors = {
  subjectNotFound: (subject: string) =>
    new SchemaRegistryError(ErrorCodes.SCHEMA_NOT_FOUND, RegistryErrorCodes.SUBJECT_NOT_FOUND, `Subject '${subject}' not found.`),
  versionNotFound: (subject: string, version: number | string) =>
    new SchemaRegistryError(
      ErrorCodes.SCHEMA_NOT_FOUND,
      RegistryErrorCodes.VERSION_NOT_FOUND,
      `Version ${version} of subject '${subject}' not found.`,
    ),
  schemaNotFound: (what: string) =>
    new SchemaRegistryError(ErrorCodes.SCHEMA_NOT_FOUND, RegistryErrorCodes.SCHEMA_NOT_FOUND, `Schema ${what} not found.`),
  incompatible: (subject: string, mode: CompatibilityMode, messages: readonly string[]) =>
    new SchemaRegistryError(
      ErrorCodes.SCHEMA_INCOMPATIBLE,
      RegistryErrorCodes.INCOMPATIBLE_SCHEMA,
      `Schema being registered is incompatible with subject '${subject}' under ${mode}: ${messages.join('; ')}`,
    ),
  invalidSchema: (reason: string, cause?: unknown) =>
    new SchemaRegistryError(ErrorCodes.SCHEMA_INVALID, RegistryErrorCodes.INVALID_SCHEMA, `Invalid schema: ${reason}`, { cause }),
  invalidVersion: (version: unknown) =>
    new SchemaRegistryError(
      ErrorCodes.SCHEMA_INVALID,
      RegistryErrorCodes.INVALID_VERSION,
      `Invalid version ${JSON.stringify(version)}: a positive integer or "latest" is expected.`,
    ),
  invalidCompatibility: (mode: unknown) =>
    new SchemaRegistryError(
      ErrorCodes.SCHEMA_INVALID,
      RegistryErrorCodes.INVALID_COMPATIBILITY_LEVEL,
      mode === 'NONE'
        ? 'Compatibility NONE is refused: every contract change must keep a compatibility rule (use BACKWARD, FORWARD, FULL or a TRANSITIVE form).'
        : `Invalid compatibility level ${JSON.stringify(mode)}: one of ${compatibilityModes.join(', ')} is expected.`,
    ),
  unavailable: (message: string, cause?: unknown) =>
    new SchemaRegistryError(ErrorCodes.REGISTRY_UNAVAILABLE, RegistryErrorCodes.UNAVAILABLE, message, { cause }),
};

/** Narrows an untrusted mode (from a request, a config file), refusing NONE and unknown values. */
export function parseCompatibilityMode(value: unknown): CompatibilityMode {
  const upper = typeof value === 'string' ? value.toUpperCase() : value;
  if ((compatibilityModes as readonly unknown[]).includes(upper)) return upper as CompatibilityMode;
  throw registryErrors.invalidCompatibility(upper);
}

/** Parses a version path segment: a positive integer, `latest`, or Confluent's `-1` for latest. */
export function parseVersion(value: string | number): number | 'latest' {
  if (value === 'latest' || value === -1 || value === '-1') return 'latest';
  const version = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(version) || version < 1) throw registryErrors.invalidVersion(value);
  return version;
}
