import { BackboneError, ErrorCodes } from '../errors.ts';
import { canonicalSchema } from './avro-schema.ts';
import {
  registryErrors,
  type CompatibilityMode,
  type CompatibilityResult,
  type SchemaRegistry,
  type SubjectVersion,
} from './schema-registry.ts';

/**
 * A decorator that keeps what the registry has said, so that a registry outage stops neither
 * producers (whose subject + schema → id is cached) nor consumers (whose id → schema is cached).
 *
 * - `getById`, `register`, `lookup` and `getVersion` answers are kept for the life of the process:
 *   an id always names the same schema, and a registered schema keeps its id and version.
 * - `getLatest` asks the registry every time and, while it cannot be reached, answers with the
 *   latest version it saw (stale, but the best answer there is).
 * - Everything else passes through. Concurrent requests for the same uncached id or schema share
 *   one call to the registry.
 *
 * Any failure that is not a definite answer (not found, invalid, incompatible) becomes
 * REGISTRY_UNAVAILABLE, retryable: a consumer retries the record instead of dead-lettering it.
 */
export class CachingSchemaRegistry implements SchemaRegistry {
  readonly #inner: SchemaRegistry;
  readonly #schemaById = new Map<number, string>();
  // By subject, then canonical schema text: no key is built from the schema text (a concatenated
  // key would be re-hashed, kilobytes of it, on every encode).
  readonly #idBySchema = new NestedMap<number>();
  readonly #versionBySchema = new NestedMap<SubjectVersion>();
  readonly #versionByNumber = new Map<string, SubjectVersion>();
  readonly #latest = new Map<string, SubjectVersion>();
  readonly #inFlight = new Map<string, Promise<unknown>>();
  /** Schema text → its canonical text: a producer registers the same few texts for every event. */
  readonly #canonical = new Map<string, string>();

  constructor(inner: SchemaRegistry) {
    this.#inner = inner;
  }

  async register(subject: string, schema: string): Promise<number> {
    const canonical = this.#canonicalOf(schema);
    const cached = this.#idBySchema.get(subject, canonical);
    if (cached !== undefined) return cached;
    const id = await this.#once(`register:${keyOf(subject, canonical)}`, () => this.#inner.register(subject, schema));
    this.#idBySchema.set(subject, canonical, id);
    if (!this.#schemaById.has(id)) this.#schemaById.set(id, schema);
    return id;
  }

  async lookup(subject: string, schema: string): Promise<SubjectVersion> {
    const canonical = this.#canonicalOf(schema);
    const cached = this.#versionBySchema.get(subject, canonical);
    if (cached) return cached;
    const found = await this.#once(`lookup:${keyOf(subject, canonical)}`, () => this.#inner.lookup(subject, schema));
    this.#remember(found);
    this.#versionBySchema.set(subject, canonical, found);
    this.#idBySchema.set(subject, canonical, found.id);
    return found;
  }

  #canonicalOf(schema: string): string {
    let canonical = this.#canonical.get(schema);
    if (canonical === undefined) {
      canonical = canonicalSchema(schema);
      if (this.#canonical.size >= 1000) this.#canonical.clear();
      this.#canonical.set(schema, canonical);
    }
    return canonical;
  }

  async getById(id: number): Promise<string> {
    const cached = this.#schemaById.get(id);
    if (cached !== undefined) return cached;
    const schema = await this.#once(`id:${id}`, () => this.#inner.getById(id));
    this.#schemaById.set(id, schema);
    return schema;
  }

  async getLatest(subject: string): Promise<SubjectVersion> {
    try {
      const latest = await this.#once(`latest:${subject}`, () => this.#inner.getLatest(subject));
      this.#remember(latest);
      this.#latest.set(subject, latest);
      return latest;
    } catch (error) {
      const stale = this.#latest.get(subject);
      if (stale && error instanceof BackboneError && error.code === ErrorCodes.REGISTRY_UNAVAILABLE) return stale;
      throw error;
    }
  }

  async getVersion(subject: string, version: number): Promise<SubjectVersion> {
    const cached = this.#versionByNumber.get(keyOf(subject, String(version)));
    if (cached) return cached;
    const found = await this.#once(`version:${subject}:${version}`, () => this.#inner.getVersion(subject, version));
    this.#remember(found);
    return found;
  }

  listSubjects(): Promise<string[]> {
    return this.#once('subjects', () => this.#inner.listSubjects());
  }

  listVersions(subject: string): Promise<number[]> {
    return this.#once(`versions:${subject}`, () => this.#inner.listVersions(subject));
  }

  checkCompatibility(subject: string, schema: string, version?: number | 'latest'): Promise<CompatibilityResult> {
    return guard(() => this.#inner.checkCompatibility(subject, schema, version));
  }

  getCompatibility(subject?: string): Promise<CompatibilityMode> {
    return guard(() => this.#inner.getCompatibility(subject));
  }

  setCompatibility(mode: CompatibilityMode, subject?: string): Promise<void> {
    return guard(() => this.#inner.setCompatibility(mode, subject));
  }

  #remember(found: SubjectVersion): void {
    this.#versionByNumber.set(keyOf(found.subject, String(found.version)), found);
    if (!this.#schemaById.has(found.id)) this.#schemaById.set(found.id, found.schema);
  }

  /** Shares one registry call between concurrent callers asking the same thing. */
  #once<T>(key: string, call: () => Promise<T>): Promise<T> {
    const pending = this.#inFlight.get(key);
    if (pending) return pending as Promise<T>;
    const started = guard(call).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }
}

function keyOf(subject: string, rest: string): string {
  return `${subject}\u0000${rest}`;
}

const definiteAnswers: ReadonlySet<string> = new Set([
  ErrorCodes.SCHEMA_NOT_FOUND,
  ErrorCodes.SCHEMA_INVALID,
  ErrorCodes.SCHEMA_INCOMPATIBLE,
  ErrorCodes.REGISTRY_UNAVAILABLE,
]);

/** Keeps the registry's definite answers; anything else (a database down, a bug) is an outage. */
async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof BackboneError && definiteAnswers.has(error.code)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw registryErrors.unavailable(`schema registry failed: ${message}`, error);
  }
}

/** A map keyed by two strings, without joining them into one key per lookup. */
class NestedMap<V> {
  readonly #outer = new Map<string, Map<string, V>>();

  get(first: string, second: string): V | undefined {
    return this.#outer.get(first)?.get(second);
  }

  set(first: string, second: string, value: V): void {
    let inner = this.#outer.get(first);
    if (!inner) this.#outer.set(first, (inner = new Map()));
    inner.set(second, value);
  }
}
