/** Confluent's content type; its clients also accept plain JSON. */
export const schemaRegistryContentType = 'application/vnd.schemaregistry.v1+json';

// The parts the descriptions below are made of (defined first: the descriptions are built at load).

const errorSchema = {
  description: "Confluent's error body",
  content: {
    [schemaRegistryContentType]: {
      schema: { type: 'object', required: ['error_code', 'message'], properties: { error_code: { type: 'integer' }, message: { type: 'string' } } },
    },
  },
} as const;

const parameterSchemas = {
  subject: { type: 'string', description: 'the subject, e.g. payments.submitted.v1-value' },
  version: { type: 'string', description: 'a version number, latest, or -1 (latest)' },
  id: { type: 'string', description: 'a global schema id' },
} as const;

const querySchemas = {
  verbose: { type: 'string', enum: ['true', 'false'], description: 'true: say why a schema is incompatible' },
  defaultToGlobal: { type: 'string', enum: ['true', 'false'], description: 'true: the global level when the subject has none' },
} as const;

const bodySchemas = {
  schema: {
    type: 'object',
    required: ['schema'],
    properties: {
      schema: { type: 'string', description: 'the Avro schema, as JSON text' },
      schemaType: { type: 'string', description: 'AVRO, the default, is the only type served' },
      references: { type: 'array', description: 'schema references are not supported: absent or empty' },
    },
  },
  compatibility: {
    type: 'object',
    required: ['compatibility'],
    properties: { compatibility: { type: 'string', description: 'BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE (NONE is refused)' } },
  },
} as const;

/**
 * The OpenAPI description of the built-in registry's Confluent routes (`/openapi.json` lists them
 * beside the payment API): each with its operation id, summary, tag, parameters, its answers in
 * Confluent's content type, and its errors as Confluent's `{ error_code, message }`. The routes
 * attach rather than enforce what their schemas say about a request, so a bad body still gets
 * Confluent's own codes (42201, 42203) from the handler.
 */
export const registryOperations = {
  root: doc('getSchemaRegistryRoot', 'The registry answers (an empty object)', 'read', { type: 'object' }),
  listSubjects: doc('listSchemaSubjects', 'Subjects with at least one version', 'read', { type: 'array', items: { type: 'string' } }),
  listVersions: doc('listSchemaSubjectVersions', "A subject's version numbers", 'read', { type: 'array', items: { type: 'integer' } }, { params: ['subject'] }),
  register: doc('registerSchema', 'Register a schema under a subject (or find it); refused if incompatible', 'write', { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } }, { params: ['subject'], body: 'schema' }),
  lookup: doc('lookUpSchema', 'The version of a subject that has this schema', 'read', versionSchema(), { params: ['subject'], body: 'schema' }),
  getVersion: doc('getSchemaVersion', "A subject's version (a number, latest or -1)", 'read', versionSchema(), { params: ['subject', 'version'] }),
  getVersionSchema: doc('getSchemaVersionText', "A subject's version's schema, as the schema itself", 'read', {}, { params: ['subject', 'version'] }),
  deleteSubject: doc('deleteSchemaSubject', "Soft-delete every version of a subject (ids keep resolving)", 'write', { type: 'array', items: { type: 'integer' } }, { params: ['subject'] }),
  deleteVersion: doc('deleteSchemaVersion', "Soft-delete one version of a subject (its id keeps resolving)", 'write', { type: 'integer' }, { params: ['subject', 'version'] }),
  schemaTypes: doc('listSchemaTypes', 'The schema types served: AVRO', 'read', { type: 'array', items: { type: 'string' } }),
  getById: doc('getSchemaById', 'A schema by its global id', 'read', { type: 'object', required: ['schema'], properties: { schema: { type: 'string' } } }, { params: ['id'] }),
  versionsOfId: doc('listSchemaIdVersions', 'The subject versions that use a schema id', 'read', { type: 'array', items: { type: 'object', required: ['subject', 'version'], properties: { subject: { type: 'string' }, version: { type: 'integer' } } } }, { params: ['id'] }),
  checkVersion: doc('checkSchemaCompatibilityWithVersion', 'Whether a schema is compatible with a version (or what a registration checks, for latest)', 'read', compatibilitySchema(), { params: ['subject', 'version'], query: ['verbose'], body: 'schema' }),
  checkSubject: doc('checkSchemaCompatibility', 'Whether a schema could be registered under a subject', 'read', compatibilitySchema(), { params: ['subject'], query: ['verbose'], body: 'schema' }),
  getConfig: doc('getSchemaCompatibility', 'The global compatibility level', 'read', { type: 'object', required: ['compatibilityLevel'], properties: { compatibilityLevel: { type: 'string' } } }),
  setConfig: doc('setSchemaCompatibility', 'Set the global compatibility level (NONE is refused)', 'write', { type: 'object', required: ['compatibility'], properties: { compatibility: { type: 'string' } } }, { body: 'compatibility' }),
  getSubjectConfig: doc('getSchemaSubjectCompatibility', "A subject's compatibility level (40408 without one, unless defaultToGlobal=true)", 'read', { type: 'object', required: ['compatibilityLevel'], properties: { compatibilityLevel: { type: 'string' } } }, { params: ['subject'], query: ['defaultToGlobal'] }),
  setSubjectConfig: doc('setSchemaSubjectCompatibility', "Set a subject's compatibility level (NONE is refused)", 'write', { type: 'object', required: ['compatibility'], properties: { compatibility: { type: 'string' } } }, { params: ['subject'], body: 'compatibility' }),
} as const;

/** The security schemes the registry's routes accept, to declare in the OpenAPI document's components. */
export const registrySecuritySchemes = {
  schemaRegistryBasic: { type: 'http', scheme: 'basic', description: 'HTTP basic auth as Confluent clients send it: any username, the API key as the password' },
} as const;

function doc(
  operationId: string,
  summary: string,
  access: 'read' | 'write',
  ok: object,
  parts: { params?: readonly (keyof typeof parameterSchemas)[]; query?: readonly (keyof typeof querySchemas)[]; body?: keyof typeof bodySchemas } = {},
) {
  const scope = access === 'read' ? 'schemas:read' : 'schemas:write';
  return {
    access,
    operationId,
    summary,
    description: `Confluent Schema Registry REST API; needs the scope ${scope}.`,
    tags: ['schema-registry'],
    security: [{ schemaRegistryBasic: [] }, { apiKey: [] }],
    ...(parts.params ? { params: { type: 'object', required: parts.params, properties: Object.fromEntries(parts.params.map((name) => [name, parameterSchemas[name]])) } } : {}),
    ...(parts.query ? { querystring: { type: 'object', properties: Object.fromEntries(parts.query.map((name) => [name, querySchemas[name]])) } } : {}),
    ...(parts.body ? { body: bodySchemas[parts.body] } : {}),
    response: {
      200: { description: summary, content: { [schemaRegistryContentType]: { schema: ok } } },
      401: errorSchema,
      403: errorSchema,
      404: errorSchema,
      422: errorSchema,
      ...(access === 'write' || parts.body === 'schema' ? { 409: errorSchema } : {}),
      500: errorSchema,
    },
  };
}

function versionSchema() {
  return {
    type: 'object',
    required: ['subject', 'version', 'id', 'schema'],
    properties: { subject: { type: 'string' }, version: { type: 'integer' }, id: { type: 'integer' }, schema: { type: 'string' } },
  };
}

function compatibilitySchema() {
  return { type: 'object', required: ['is_compatible'], properties: { is_compatible: { type: 'boolean' }, messages: { type: 'array', items: { type: 'string' } } } };
}
