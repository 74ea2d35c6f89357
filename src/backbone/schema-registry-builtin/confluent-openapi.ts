import type { FastifySchema, RouteOptions } from 'fastify';
import { compatibilityModes } from '../schema/schema-registry.ts';

/**
 * The OpenAPI description of the Confluent REST API routes (`confluent-routes.ts`), one entry per
 * `METHOD path`: `describeConfluentRoute` fills each route's schema as it is registered and refuses
 * a route without an entry, so a new route cannot go undescribed.
 *
 * Responses are in Confluent's media type, errors as `{ error_code, message }`. Fastify serializes
 * with these schemas: every field the handler returns is declared.
 */
export function describeConfluentRoute(route: RouteOptions & { routePath: string }): void {
  if (route.method === 'HEAD') return; // Fastify's own HEAD for each GET, left out of the document
  const key = `${String(route.method)} ${route.routePath || '/'}`;
  const described = confluentRouteSchemas[key];
  if (!described) throw new Error(`the schema registry route ${key} has no OpenAPI description in confluent-openapi.ts`);
  route.schema = { ...described, ...route.schema };
  // The handlers check their input and answer in Confluent's codes (42201, 40403, …), which its
  // clients branch on; the schemas document that input and do not refuse it first.
  route.attachValidation = true;
}

/** Confluent's content type; its clients also accept plain JSON. */
export const schemaRegistryContentType = 'application/vnd.schemaregistry.v1+json';

const content = (schema: object) => ({ content: { [schemaRegistryContentType]: { schema } } });
const ok = (description: string, schema: object) => ({ 200: { description, ...content(schema) } });

const errorSchema = {
  type: 'object',
  properties: {
    error_code: { type: 'integer', description: "Confluent's code, e.g. 40401 subject not found" },
    message: { type: 'string' },
  },
} as const;
/** Every route also answers 401 and 403: the registry takes an API key with a `schemas:` scope. */
const errors = (statuses: Record<number, string>) =>
  Object.fromEntries(
    Object.entries({ ...authErrors, ...statuses }).map(([status, description]) => [status, { description, ...content(errorSchema) }]),
  );
const authErrors = { 401: 'Missing or invalid API key (40101)', 403: 'The API key lacks the scope, schemas:read or schemas:write (40301)' };
const notFound = { 404: 'Subject, version or schema not found (40401, 40402, 40403)' };
const invalid = { 422: 'Invalid schema, version or compatibility level (42201, 42202, 42203)' };
const storeError = { 500: 'Store error (50001)' };

const subject = { type: 'object', properties: { subject: { type: 'string' } } } as const;
const subjectVersion = {
  type: 'object',
  properties: { subject: { type: 'string' }, version: { type: 'string', description: 'A version number or `latest`' } },
} as const;
const schemaId = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,10}$' } } } as const;
const registration = {
  type: 'object',
  required: ['schema'],
  properties: {
    schema: { type: 'string', description: 'The Avro schema, as JSON text' },
    schemaType: { type: 'string', enum: ['AVRO'] },
    references: { type: 'array', maxItems: 0 },
  },
} as const;
const versionBody = {
  type: 'object',
  properties: { subject: { type: 'string' }, version: { type: 'integer' }, id: { type: 'integer' }, schema: { type: 'string' } },
} as const;
const versions = { type: 'array', items: { type: 'integer' } } as const;
const compatibility = {
  type: 'object',
  properties: { is_compatible: { type: 'boolean' }, messages: { type: 'array', items: { type: 'string' } } },
} as const;
const mode = { type: 'string', enum: [...compatibilityModes] } as const;
const verbose = {
  type: 'object',
  properties: { verbose: { type: 'string', enum: ['true', 'false'], description: 'Also say why not' } },
} as const;

// The scheme is declared with the API's others, in src/services/http/openapi.ts.
const base = {
  tags: ['schema registry'],
  security: [{ schemaRegistryBasic: [] }],
  consumes: [schemaRegistryContentType, 'application/json'],
};

const confluentRouteSchemas: Record<string, FastifySchema> = {
  // Left out of the document: a liveness probe, no API; and under a prefix Fastify names it
  // `/prefix/` in the document, a trailing slash OpenAPI tools refuse.
  'GET /': {
    ...base,
    hide: true,
    operationId: 'getSchemaRegistryRoot',
    summary: 'An empty object: the registry answers',
    response: ok('Empty', { type: 'object' }),
  },
  'GET /subjects': {
    ...base,
    operationId: 'listSubjects',
    summary: 'The subjects with at least one live version',
    response: { ...ok('Subject names', { type: 'array', items: { type: 'string' } }), ...errors(storeError) },
  },
  'GET /subjects/:subject/versions': {
    ...base,
    operationId: 'listSubjectVersions',
    summary: "A subject's live versions",
    params: subject,
    response: { ...ok('Version numbers', versions), ...errors({ ...notFound, ...storeError }) },
  },
  'POST /subjects/:subject/versions': {
    ...base,
    operationId: 'registerSchema',
    summary: 'Register a schema under a subject (the same schema again answers its id)',
    params: subject,
    body: registration,
    response: {
      ...ok('The schema id', { type: 'object', properties: { id: { type: 'integer' } } }),
      ...errors({ 409: 'Incompatible with the subject (409)', ...invalid, ...storeError }),
    },
  },
  'POST /subjects/:subject': {
    ...base,
    operationId: 'lookUpSchema',
    summary: 'Whether a schema is registered under a subject, and as which version',
    params: subject,
    body: registration,
    response: { ...ok('The version', versionBody), ...errors({ ...notFound, ...invalid, ...storeError }) },
  },
  'GET /subjects/:subject/versions/:version': {
    ...base,
    operationId: 'getSubjectVersion',
    summary: 'A version of a subject',
    params: subjectVersion,
    response: { ...ok('The version', versionBody), ...errors({ ...notFound, ...invalid, ...storeError }) },
  },
  'GET /subjects/:subject/versions/:version/schema': {
    ...base,
    operationId: 'getSubjectVersionSchema',
    summary: 'The schema of a version of a subject',
    params: subjectVersion,
    response: { ...ok('The schema', {}), ...errors({ ...notFound, ...invalid, ...storeError }) },
  },
  'DELETE /subjects/:subject': {
    ...base,
    operationId: 'deleteSubject',
    summary: "Soft-delete a subject's versions (their ids keep resolving)",
    params: subject,
    response: { ...ok('The deleted versions', versions), ...errors({ ...notFound, ...storeError }) },
  },
  'DELETE /subjects/:subject/versions/:version': {
    ...base,
    operationId: 'deleteSubjectVersion',
    summary: 'Soft-delete a version (its id keeps resolving)',
    params: subjectVersion,
    response: { ...ok('The deleted version', { type: 'integer' }), ...errors({ ...notFound, ...invalid, ...storeError }) },
  },
  'GET /schemas/types': {
    ...base,
    operationId: 'listSchemaTypes',
    summary: 'The schema types served: AVRO only',
    response: { ...ok('Schema types', { type: 'array', items: { type: 'string' } }), ...errors({}) },
  },
  'GET /schemas/ids/:id': {
    ...base,
    operationId: 'getSchemaById',
    summary: 'A schema by its id',
    params: schemaId,
    response: {
      ...ok('The schema', { type: 'object', properties: { schema: { type: 'string' } } }),
      ...errors({ ...notFound, ...storeError }),
    },
  },
  'GET /schemas/ids/:id/versions': {
    ...base,
    operationId: 'listSchemaIdVersions',
    summary: 'The subject versions that use a schema id',
    params: schemaId,
    response: {
      ...ok('Subject versions', {
        type: 'array',
        items: { type: 'object', properties: { subject: { type: 'string' }, version: { type: 'integer' } } },
      }),
      ...errors({ ...notFound, ...storeError }),
    },
  },
  'POST /compatibility/subjects/:subject/versions/:version': {
    ...base,
    operationId: 'checkCompatibilityWithVersion',
    summary: 'Whether a schema is compatible with a version of a subject',
    params: subjectVersion,
    querystring: verbose,
    body: registration,
    response: { ...ok('The verdict', compatibility), ...errors({ ...notFound, ...invalid, ...storeError }) },
  },
  'POST /compatibility/subjects/:subject/versions': {
    ...base,
    operationId: 'checkCompatibility',
    summary: 'Whether a schema could be registered under a subject',
    params: subject,
    querystring: verbose,
    body: registration,
    response: { ...ok('The verdict', compatibility), ...errors({ ...invalid, ...storeError }) },
  },
  'GET /config': {
    ...base,
    operationId: 'getGlobalCompatibility',
    summary: 'The global compatibility level',
    response: { ...ok('The level', { type: 'object', properties: { compatibilityLevel: mode } }), ...errors(storeError) },
  },
  'PUT /config': {
    ...base,
    operationId: 'setGlobalCompatibility',
    summary: 'Set the global compatibility level (NONE is refused)',
    body: { type: 'object', required: ['compatibility'], properties: { compatibility: mode } },
    response: { ...ok('The level set', { type: 'object', properties: { compatibility: mode } }), ...errors({ ...invalid, ...storeError }) },
  },
  'GET /config/:subject': {
    ...base,
    operationId: 'getSubjectCompatibility',
    summary: "A subject's compatibility level",
    params: subject,
    querystring: {
      type: 'object',
      properties: {
        defaultToGlobal: { type: 'string', enum: ['true', 'false'], description: 'The global level when the subject has none' },
      },
    },
    response: {
      ...ok('The level', { type: 'object', properties: { compatibilityLevel: mode } }),
      ...errors({ 404: 'The subject has no level of its own (40408)', ...storeError }),
    },
  },
  'PUT /config/:subject': {
    ...base,
    operationId: 'setSubjectCompatibility',
    summary: "Set a subject's compatibility level (NONE is refused)",
    params: subject,
    body: { type: 'object', required: ['compatibility'], properties: { compatibility: mode } },
    response: { ...ok('The level set', { type: 'object', properties: { compatibility: mode } }), ...errors({ ...invalid, ...storeError }) },
  },
};
