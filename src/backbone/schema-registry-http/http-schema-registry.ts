import { BackboneError, ErrorCodes } from '../errors.ts';
import { canonicalSchema, parseSchema } from '../schema/avro-schema.ts';
import { checkAgainstVersions, type VersionedSchema } from '../schema/compatibility.ts';
import {
  compatibilityModes,
  defaultCompatibilityMode,
  parseCompatibilityMode,
  registryErrors,
  RegistryErrorCodes,
  SchemaRegistryError,
  type CompatibilityMode,
  type CompatibilityResult,
  type SchemaRegistry,
  type SubjectVersion,
} from '../schema/schema-registry.ts';

export interface HttpSchemaRegistryOptions {
  /** Base URL of the Confluent-compatible API: `http://host:8081`, Apicurio `http://host:8080/apis/ccompat/v7`. */
  url: string;
  /** HTTP basic auth, as Confluent Cloud and secured registries want it. */
  username?: string;
  password?: string;
  /** Per request; past it the registry counts as unavailable. Default 10 s. */
  timeoutMs?: number;
  /** Injected for tests. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * The schema registry port on any Confluent-compatible registry (Confluent, Apicurio, Redpanda,
 * Karapace, paystream's built-in one), over its REST API with Node's fetch.
 *
 * paystream's rules hold whatever the registry enforces: before registering a new schema, this
 * client runs paystream's own checker against the subject's versions under the subject's mode,
 * so a decimal's scale change is refused here even when the registry's checker lets it through.
 * A registry whose mode is NONE (Apicurio's default) is checked as BACKWARD, and reported so:
 * paystream never registers without a rule. The registry still runs its own check on top.
 *
 * Network failures, timeouts and 5xx answers are REGISTRY_UNAVAILABLE (retryable). Wrap this in
 * `CachingSchemaRegistry` so that known schemas survive an outage.
 */
export class HttpSchemaRegistry implements SchemaRegistry {
  readonly #baseUrl: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: HttpSchemaRegistryOptions) {
    if (!/^https?:\/\//.test(options.url)) {
      throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `schema registry url must be http(s), got ${JSON.stringify(options.url)}`);
    }
    this.#baseUrl = options.url.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? fetch;
    this.#headers = { accept: 'application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json' };
    if (options.username !== undefined) {
      const credentials = Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64');
      this.#headers['authorization'] = `Basic ${credentials}`;
    }
  }

  async register(subject: string, schema: string): Promise<number> {
    const parsed = parseSchema(schema);
    const existing = await this.#lookupOrUndefined(subject, parsed.canonical);
    if (existing) return existing.id;
    const mode = await this.getCompatibility(subject);
    const messages = checkAgainstVersions(mode, parsed.root, await this.#versionsToCheck(subject, mode));
    if (messages.length > 0) throw registryErrors.incompatible(subject, mode, messages);
    const body = await this.#request<{ id: number }>('POST', `/subjects/${enc(subject)}/versions`, { schema: parsed.canonical });
    return body.id;
  }

  async lookup(subject: string, schema: string): Promise<SubjectVersion> {
    const found = await this.#request<RawVersion>('POST', `/subjects/${enc(subject)}`, { schema: canonicalSchema(schema) });
    return toSubjectVersion(found, subject);
  }

  async getById(id: number): Promise<string> {
    return (await this.#request<{ schema: string }>('GET', `/schemas/ids/${id}`)).schema;
  }

  async getLatest(subject: string): Promise<SubjectVersion> {
    return toSubjectVersion(await this.#request<RawVersion>('GET', `/subjects/${enc(subject)}/versions/latest`), subject);
  }

  async getVersion(subject: string, version: number): Promise<SubjectVersion> {
    return toSubjectVersion(await this.#request<RawVersion>('GET', `/subjects/${enc(subject)}/versions/${version}`), subject);
  }

  async listSubjects(): Promise<string[]> {
    return (await this.#request<string[]>('GET', '/subjects')).sort();
  }

  async listVersions(subject: string): Promise<number[]> {
    const versions = await this.#request<number[]>('GET', `/subjects/${enc(subject)}/versions`);
    if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
    return versions.sort((a, b) => a - b);
  }

  /** paystream's check and the registry's own; compatible only if both say so. */
  async checkCompatibility(subject: string, schema: string, version: number | 'latest' = 'latest'): Promise<CompatibilityResult> {
    const parsed = parseSchema(schema);
    const mode = await this.getCompatibility(subject);
    const against = version === 'latest' ? await this.#versionsToCheck(subject, mode) : [await this.#versioned(subject, version)];
    const messages = checkAgainstVersions(mode, parsed.root, against);
    if (against.length === 0) return { compatible: true, messages };
    const remote = await this.#request<{ is_compatible: boolean; messages?: string[] }>(
      'POST',
      `/compatibility/subjects/${enc(subject)}/versions/${version}?verbose=true`,
      { schema: parsed.canonical },
    );
    if (!remote.is_compatible) {
      messages.push(
        ...(remote.messages?.length ? remote.messages.map((m) => `registry: ${m}`) : ['registry: incompatible (no details given)']),
      );
    }
    return { compatible: messages.length === 0, messages };
  }

  async getCompatibility(subject?: string): Promise<CompatibilityMode> {
    let body: { compatibilityLevel?: string; compatibility?: string };
    try {
      body = await this.#request('GET', subject === undefined ? '/config' : `/config/${enc(subject)}?defaultToGlobal=true`);
    } catch (error) {
      // Some registries ignore defaultToGlobal and answer 404 for a subject without its own mode.
      if (subject === undefined || !(error instanceof SchemaRegistryError) || error.code !== ErrorCodes.SCHEMA_NOT_FOUND) throw error;
      body = await this.#request('GET', '/config');
    }
    const level = (body.compatibilityLevel ?? body.compatibility ?? '').toUpperCase();
    return (compatibilityModes as readonly string[]).includes(level) ? (level as CompatibilityMode) : defaultCompatibilityMode;
  }

  async setCompatibility(mode: CompatibilityMode, subject?: string): Promise<void> {
    const checked = parseCompatibilityMode(mode);
    await this.#request('PUT', subject === undefined ? '/config' : `/config/${enc(subject)}`, { compatibility: checked });
  }

  async #lookupOrUndefined(subject: string, canonical: string): Promise<SubjectVersion | undefined> {
    try {
      return await this.lookup(subject, canonical);
    } catch (error) {
      if (error instanceof BackboneError && error.code === ErrorCodes.SCHEMA_NOT_FOUND) return undefined;
      throw error;
    }
  }

  /** The versions `register` compares a new schema with: the latest, or all of them if TRANSITIVE. */
  async #versionsToCheck(subject: string, mode: CompatibilityMode): Promise<VersionedSchema[]> {
    let versions: number[];
    try {
      versions = await this.listVersions(subject);
    } catch (error) {
      if (error instanceof BackboneError && error.code === ErrorCodes.SCHEMA_NOT_FOUND) return [];
      throw error;
    }
    const compared = mode.endsWith('_TRANSITIVE') ? versions : versions.slice(-1);
    return Promise.all(compared.map((version) => this.#versioned(subject, version)));
  }

  async #versioned(subject: string, version: number): Promise<VersionedSchema> {
    const found = await this.getVersion(subject, version);
    return { version: found.version, root: parseSchema(found.schema).root };
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = body === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/vnd.schemaregistry.v1+json' };
    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw registryErrors.unavailable(`schema registry ${this.#baseUrl} unreachable: ${describeFetchError(error)}`, error);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) throw errorFromResponse(response.status, text, `${method} ${path}`);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw registryErrors.unavailable(`schema registry answered ${method} ${path} with a body that is not JSON`, error);
    }
  }
}

interface RawVersion {
  subject?: string;
  version: number;
  id: number;
  schema: string;
}

function toSubjectVersion(raw: RawVersion, subject: string): SubjectVersion {
  return { subject: raw.subject ?? subject, version: raw.version, id: raw.id, schema: raw.schema };
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

const errorCodeByRegistryCode: Partial<Record<number, (typeof ErrorCodes)[keyof typeof ErrorCodes]>> = {
  [RegistryErrorCodes.SUBJECT_NOT_FOUND]: ErrorCodes.SCHEMA_NOT_FOUND,
  [RegistryErrorCodes.VERSION_NOT_FOUND]: ErrorCodes.SCHEMA_NOT_FOUND,
  [RegistryErrorCodes.SCHEMA_NOT_FOUND]: ErrorCodes.SCHEMA_NOT_FOUND,
  [RegistryErrorCodes.SUBJECT_COMPATIBILITY_NOT_CONFIGURED]: ErrorCodes.SCHEMA_NOT_FOUND,
  [RegistryErrorCodes.INCOMPATIBLE_SCHEMA]: ErrorCodes.SCHEMA_INCOMPATIBLE,
  [RegistryErrorCodes.INVALID_SCHEMA]: ErrorCodes.SCHEMA_INVALID,
  [RegistryErrorCodes.INVALID_VERSION]: ErrorCodes.SCHEMA_INVALID,
  [RegistryErrorCodes.INVALID_COMPATIBILITY_LEVEL]: ErrorCodes.SCHEMA_INVALID,
};

/**
 * Maps an error answer to the port's errors. Whatever the registry cannot answer now (5xx, 408,
 * 429) and refused credentials (401, 403: an operator fixes them, the records must not be
 * dead-lettered meanwhile) are REGISTRY_UNAVAILABLE, retryable.
 */
function errorFromResponse(status: number, text: string, what: string): BackboneError {
  let body: { error_code?: number; message?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not a Confluent error body (a proxy's HTML page): the status alone decides.
  }
  const message = `schema registry refused ${what}: ${status} ${body.message ?? text.slice(0, 200)}`;
  const registryCode = body.error_code ?? status;
  const code =
    status >= 500 || [401, 403, 408, 429].includes(status) ? undefined : (errorCodeByRegistryCode[registryCode] ?? fallbackCode(status));
  if (!code) return registryErrors.unavailable(message);
  return new SchemaRegistryError(code, registryCode, message);
}

function fallbackCode(status: number): (typeof ErrorCodes)[keyof typeof ErrorCodes] {
  if (status === 404) return ErrorCodes.SCHEMA_NOT_FOUND;
  if (status === 409) return ErrorCodes.SCHEMA_INCOMPATIBLE;
  return ErrorCodes.SCHEMA_INVALID;
}
