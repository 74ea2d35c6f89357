import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { BackboneError, ErrorCodes } from '../errors.ts';
import {
  parseCompatibilityMode,
  parseVersion,
  registryErrors,
  RegistryErrorCodes,
  SchemaRegistryError,
  type SubjectVersion,
} from '../schema/schema-registry.ts';
import type { DatabaseSchemaRegistry } from './database-schema-registry.ts';
import { describeConfluentRoute, schemaRegistryContentType } from './confluent-openapi.ts';

export { schemaRegistryContentType };

/**
 * What a call does to the registry: `read` (list, fetch, look up, check compatibility) or `write`
 * (register, delete, change a compatibility level).
 */
export type RegistryAccess = 'read' | 'write';

/** Why a call was refused: 401 without valid credentials, 403 when they do not allow the call. */
export interface RegistryRefusal {
  status: 401 | 403;
  message: string;
}

/**
 * Decides, before the body is read, whether a request may have `access`: undefined lets it
 * through. The registry knows nothing of credentials; whoever serves it decides who may do what.
 */
export type RegistryAuthorizer = (request: FastifyRequest, access: RegistryAccess) => Promise<RegistryRefusal | undefined>;

/** For a registry nobody else can reach (tests on loopback): every call is allowed. */
export const allowEveryCall: RegistryAuthorizer = async () => undefined;

export interface ConfluentRoutesOptions {
  /** Called on every route; a write that any caller could make would let anyone break every consumer. */
  authorize: RegistryAuthorizer;
}

/**
 * The Confluent Schema Registry REST API (the subset Avro producers, consumers and tools use) on the
 * built-in registry, as a Fastify plugin: mount it at the root of its own server or under a prefix.
 * Errors answer with Confluent's `{ error_code, message }` bodies and codes (40401 subject not
 * found, 40402 version not found, 40403 schema not found, 409 incompatible, 42201 invalid schema,
 * 42202 invalid version, 42203 invalid compatibility level, 50001 store error).
 *
 * Differences from Confluent, on purpose: only AVRO, without schema references; NONE is refused
 * as a compatibility level; deletes are always soft (`permanent=true` is ignored), so an id keeps
 * resolving for the records written with it; `POST /compatibility/.../versions/latest` checks against what a
 * registration would check against (every version in a TRANSITIVE mode) and answers compatible
 * for a subject without versions.
 *
 * Every route asks `options.authorize` first, before its body is read: reads (GETs, a lookup
 * `POST /subjects/{subject}`, compatibility checks) for `read`, registrations, deletes and
 * compatibility changes for `write`. A refusal answers Confluent's `{ error_code, message }`
 * (40101 or 40301) like every other error here, since Confluent clients read that shape.
 */
export function confluentRegistryRoutes(registry: DatabaseSchemaRegistry, options: ConfluentRoutesOptions): FastifyPluginAsync {
  return async (app) => {
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.addContentTypeParser(/^application\/vnd\.schemaregistry(\.v1)?\+json/, { parseAs: 'string' }, parseJson);
    app.addContentTypeParser('application/octet-stream', { parseAs: 'string' }, parseJson);
    app.setErrorHandler((error, _request, reply) => sendError(reply, error));
    app.addHook('onRoute', describeConfluentRoute);
    const guards = { read: guard(options.authorize, 'read'), write: guard(options.authorize, 'write') };
    subjectRoutes(app, registry, guards);
    schemaAndConfigRoutes(app, registry, guards);
  };
}

type Guards = Readonly<Record<RegistryAccess, { onRequest: onRequestHookHandler }>>;

function guard(authorize: RegistryAuthorizer, access: RegistryAccess): { onRequest: onRequestHookHandler } {
  return {
    onRequest: async (request, reply) => {
      const refusal = await authorize(request, access);
      if (!refusal) return;
      // Confluent's codes: 40101 (no or bad credentials) and 40301 (the principal may not do this).
      if (refusal.status === 401)
        reply.header('www-authenticate', 'Basic realm="paystream-schema-registry", Bearer realm="paystream-schema-registry"');
      return reply
        .status(refusal.status)
        .type(schemaRegistryContentType)
        .send({ error_code: refusal.status === 401 ? 40101 : 40301, message: refusal.message });
    },
  };
}

type Params = { subject: string; version: string; id: string };
type Query = { verbose?: string; defaultToGlobal?: string };

function subjectRoutes(app: FastifyInstance, registry: DatabaseSchemaRegistry, { read, write }: Guards): void {
  app.get('/', read, async (_request, reply) => send(reply, {}));
  app.get('/subjects', read, async (_request, reply) => send(reply, await registry.listSubjects()));
  app.get<{ Params: Params }>('/subjects/:subject/versions', read, async (request, reply) =>
    send(reply, await registry.listVersions(request.params.subject)),
  );
  app.post<{ Params: Params }>('/subjects/:subject/versions', write, async (request, reply) =>
    send(reply, { id: await registry.register(request.params.subject, schemaOf(request.body)) }),
  );
  app.post<{ Params: Params }>('/subjects/:subject', read, async (request, reply) =>
    send(reply, versionBody(await registry.lookup(request.params.subject, schemaOf(request.body)))),
  );
  app.get<{ Params: Params }>('/subjects/:subject/versions/:version', read, async (request, reply) =>
    send(reply, versionBody(await versionOf(registry, request.params))),
  );
  app.get<{ Params: Params }>('/subjects/:subject/versions/:version/schema', read, async (request, reply) =>
    reply.type(schemaRegistryContentType).send((await versionOf(registry, request.params)).schema),
  );
  app.delete<{ Params: Params }>('/subjects/:subject', write, async (request, reply) =>
    send(reply, await registry.deleteVersions(request.params.subject)),
  );
  app.delete<{ Params: Params }>('/subjects/:subject/versions/:version', write, async (request, reply) => {
    const version = (await versionOf(registry, request.params)).version;
    await registry.deleteVersions(request.params.subject, version);
    return send(reply, version);
  });
}

function schemaAndConfigRoutes(app: FastifyInstance, registry: DatabaseSchemaRegistry, { read, write }: Guards): void {
  app.get('/schemas/types', read, async (_request, reply) => send(reply, ['AVRO']));
  app.get<{ Params: Params }>('/schemas/ids/:id', read, async (request, reply) =>
    send(reply, { schema: await registry.getById(idOf(request.params.id)) }),
  );
  app.get<{ Params: Params }>('/schemas/ids/:id/versions', read, async (request, reply) =>
    send(reply, await registry.versionsOfId(idOf(request.params.id))),
  );
  const compatibility = async (subject: string, version: string, body: unknown, verbose: boolean) => {
    const result = await registry.checkCompatibility(subject, schemaOf(body), parseVersion(version));
    return verbose ? { is_compatible: result.compatible, messages: result.messages } : { is_compatible: result.compatible };
  };
  app.post<{ Params: Params; Querystring: Query }>('/compatibility/subjects/:subject/versions/:version', read, async (request, reply) =>
    send(reply, await compatibility(request.params.subject, request.params.version, request.body, request.query.verbose === 'true')),
  );
  app.post<{ Params: Params; Querystring: Query }>('/compatibility/subjects/:subject/versions', read, async (request, reply) =>
    send(reply, await compatibility(request.params.subject, 'latest', request.body, request.query.verbose === 'true')),
  );
  app.get('/config', read, async (_request, reply) => send(reply, { compatibilityLevel: await registry.getCompatibility() }));
  app.put('/config', write, async (request, reply) => {
    const mode = parseCompatibilityMode(fieldOf(request.body, 'compatibility'));
    await registry.setCompatibility(mode);
    return send(reply, { compatibility: mode });
  });
  app.get<{ Params: Params; Querystring: Query }>('/config/:subject', read, async (request, reply) => {
    const { subject } = request.params;
    const mode =
      request.query.defaultToGlobal === 'true' ? await registry.getCompatibility(subject) : await registry.getSubjectCompatibility(subject);
    // Confluent answers 40408 here; clients (kafkajs's among them) read it as "first registration".
    if (!mode) throw notConfigured(subject);
    return send(reply, { compatibilityLevel: mode });
  });
  app.put<{ Params: Params }>('/config/:subject', write, async (request, reply) => {
    const mode = parseCompatibilityMode(fieldOf(request.body, 'compatibility'));
    await registry.setCompatibility(mode, request.params.subject);
    return send(reply, { compatibility: mode });
  });
}

function send(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type(schemaRegistryContentType).send(body);
}

function versionBody(found: SubjectVersion) {
  return { subject: found.subject, version: found.version, id: found.id, schema: found.schema };
}

async function versionOf(registry: DatabaseSchemaRegistry, params: Params): Promise<SubjectVersion> {
  const version = parseVersion(params.version);
  return version === 'latest' ? registry.getLatest(params.subject) : registry.getVersion(params.subject, version);
}

function idOf(text: string): number {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw registryErrors.schemaNotFound(`with id ${text}`);
  return id;
}

function fieldOf(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

/** The `schema` of a registration body; refuses what this registry does not serve. */
function schemaOf(body: unknown): string {
  const schema = fieldOf(body, 'schema');
  const schemaType = fieldOf(body, 'schemaType') ?? 'AVRO';
  const references = fieldOf(body, 'references');
  if (typeof schema !== 'string') throw registryErrors.invalidSchema('the body needs a "schema" string');
  if (schemaType !== 'AVRO') throw registryErrors.invalidSchema(`schema type ${String(schemaType)} is not served here: only AVRO`);
  if (Array.isArray(references) && references.length > 0) throw registryErrors.invalidSchema('schema references are not supported');
  return schema;
}

function notConfigured(subject: string): SchemaRegistryError {
  return new SchemaRegistryError(
    ErrorCodes.SCHEMA_NOT_FOUND,
    RegistryErrorCodes.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
    `Subject '${subject}' does not have subject-level compatibility configured`,
  );
}

const codeByError: Partial<Record<string, number>> = {
  [ErrorCodes.SCHEMA_NOT_FOUND]: RegistryErrorCodes.SCHEMA_NOT_FOUND,
  [ErrorCodes.SCHEMA_INVALID]: RegistryErrorCodes.INVALID_SCHEMA,
  [ErrorCodes.SCHEMA_INCOMPATIBLE]: RegistryErrorCodes.INCOMPATIBLE_SCHEMA,
};

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const errorCode = errorCodeOf(error);
  const status = errorCode > 999 ? Math.floor(errorCode / 100) : errorCode;
  const message = error instanceof Error ? error.message : String(error);
  return reply.status(status).type(schemaRegistryContentType).send({ error_code: errorCode, message });
}

function errorCodeOf(error: unknown): number {
  if (error instanceof SchemaRegistryError) return error.registryCode;
  if (error instanceof BackboneError) return codeByError[error.code] ?? RegistryErrorCodes.STORE_ERROR;
  const status = (error as { statusCode?: unknown }).statusCode;
  // Fastify's own client errors (a body that is not JSON, a wrong content type) keep their status.
  if (typeof status === 'number' && status >= 400 && status < 500) return status;
  return RegistryErrorCodes.STORE_ERROR;
}
