import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { AjvCompiler, type BuildCompilerFromPool, type Options as AjvOptions } from '@fastify/ajv-compiler';
import { clientErrorProblem, frameworkErrorProblem, installProblemErrorHandler, maxParamLength } from '../services/http/error-handler.ts';
import { problemOf, sendProblem } from '../services/http/problem.ts';
import { confluentRegistryRoutes, type RegistryAuthorizer } from '../backbone/schema-registry-builtin/index.ts';
import { bearerSecurity, publicRoute, securitySchemes } from '../services/http/openapi.ts';
import { withLogContext } from '../backbone/observability/log-context.ts';
import type { Backbone } from './backbone.ts';

/** A payment request is well under 4 KiB; anything near this limit is a mistake or an attack. */
export const apiBodyLimitBytes = 32 * 1024;

/**
 * The header a request's correlation id comes in and goes back in. A client's own id is kept when
 * it looks like an id (8 to 128 of `A-Za-z0-9._:-`); otherwise the server makes one. A payment's
 * events carry the id of the request that submitted it.
 */
export const correlationIdHeader = 'x-correlation-id';

/**
 * Routes polled by probes and Prometheus every few seconds: no access-log line (a readiness probe
 * answers 503 on every poll while the consumer groups join). What fails inside them logs itself.
 */
const quietRoutes: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics']);

/** Prefix of the built-in registry's Confluent REST API (point Confluent clients at it). */
export const schemaRegistryPrefix = '/schema-registry';

/**
 * The Fastify server paystream's HTTP surfaces run on, without routes: request ids from
 * X-Correlation-Id, strict body validation, coerced query strings, and every refusal as
 * problem+json, also those Fastify and Node's parser would answer with their own bodies (routing,
 * malformed HTTP, a server shutting down).
 */
export function createApiServer(options: { logError: (error: unknown) => void; newRequestId: () => string }): FastifyInstance {
  const app = Fastify({
    // Fastify's own request logging is off: it would log URLs with their query strings. The access
    // line (installCorrelation) logs the route pattern instead.
    logger: false,
    genReqId: (request) => correlationIdOf(request.headers[correlationIdHeader], options.newRequestId),
    bodyLimit: 1024 * 1024, // schema registry requests; the API's own routes take far less (below)
    // Validation must refuse, not repair: an unknown field or a number where a decimal string is
    // expected is the client's error to hear about (Fastify's defaults strip and coerce).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    schemaController: { compilersFactory: { buildValidator: textPartsCoerced() } },
    // Every refusal is problem+json, also those Fastify answers before any handler runs.
    routerOptions: { maxParamLength },
    frameworkErrors: frameworkErrorProblem,
    clientErrorHandler: clientErrorProblem,
    // Fastify's own 503 while closing is its JSON; the hook below answers it as a problem.
    return503OnClosing: false,
  });
  installProblemErrorHandler(app, options.logError);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close').header('retry-after', '1');
    return sendProblem(
      reply,
      problemOf('service-unavailable', 'this server is shutting down; nothing was accepted, retry (another instance)'),
    );
  });
  return app;
}

/**
 * The operational HTTP surface: liveness, readiness (database, event log and registry answer),
 * Prometheus metrics, and the built-in schema registry's Confluent API, which answers only the
 * callers `authorizeRegistry` lets through. The payment API mounts its routes on the same server.
 */
export async function buildHttpServer(
  backbone: Backbone,
  options: {
    authorizeRegistry: RegistryAuthorizer;
    mount?: (app: FastifyInstance) => Promise<void>;
    readinessChecks?: Readonly<Record<string, () => Promise<void>>>;
  },
): Promise<FastifyInstance> {
  const app = createApiServer({
    logError: (error) => backbone.logger.error({ err: error }, 'request failed'),
    newRequestId: () => backbone.ids.eventId(),
  });
  installCorrelation(app, backbone);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'paystream API',
        version: '1',
        description: 'Event-driven payments: submit a transfer (202 at once), follow it to settlement.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      // Relative: the document is served by the server it describes, wherever that is deployed.
      servers: [{ url: '/', description: 'The server that serves this document' }],
      components: { securitySchemes },
      // The default; public routes and the schema registry declare their own (src/services/http/openapi.ts).
      security: bearerSecurity,
    },
  });
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1/')) route.bodyLimit ??= apiBodyLimitBytes;
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/health/live',
    {
      schema: {
        operationId: 'getLiveness',
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        security: publicRoute,
        response: { 200: liveSchema },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['operations'],
        summary: 'Readiness: the database, event log, registry and consumers answer',
        security: publicRoute,
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      const checks = await readiness(backbone, options.readinessChecks ?? {});
      const ready = Object.values(checks).every((check) => check === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    },
  );
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        security: publicRoute,
        response: { 200: metricsSchema },
      },
    },
    async (_request, reply) => {
      const body = await backbone.metricsRegistry.metrics();
      return reply.type(backbone.metricsRegistry.contentType).send(body);
    },
  );
  if (backbone.registry.builtin)
    await app.register(confluentRegistryRoutes(backbone.registry.builtin, { authorize: options.authorizeRegistry }), {
      prefix: schemaRegistryPrefix,
    });
  if (options.mount) await options.mount(app);
  return app;
}

const liveSchema = { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } as const;

const readySchema = {
  description: 'Each check is `ok` or what failed; 503 until every one is `ok`',
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

// Not serialized by Fastify (the handler sends a string); documents the exposition format.
const metricsSchema = {
  description: 'Prometheus text exposition format',
  content: { 'text/plain': { schema: { type: 'string' } } },
} as const;
/** A client's correlation id when it looks like one, else a new one. */
export function correlationIdOf(given: string | string[] | undefined, newId: () => string): string {
  const value = Array.isArray(given) ? given[0] : given;
  return value !== undefined && /^[A-Za-z0-9._:-]{8,128}$/.test(value) ? value : newId();
}

/**
 * Every request runs in a log context with its correlation id (`request.id`, see `genReqId`), gets
 * it back in a response header, and leaves one access-log line: method, route pattern (never the
 * URL: path parameters and query strings can carry an IBAN or a name), status, duration,
 * correlation id and API key id. Probes and scrapes are not logged.
 */
function installCorrelation(app: FastifyInstance, backbone: Backbone): void {
  // Entered again before validation and the handler: a request body is read in the socket's own
  // async context, which does not carry the one set when the request arrived.
  const enter = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => withLogContext({ correlationId: request.id }, done);
  app.addHook('onRequest', (request, reply, done) => {
    // Routes that read the header (the payment intake, whose events carry the id) see the one
    // made here when the client sent none or an unusable one.
    request.headers[correlationIdHeader] = request.id;
    reply.header(correlationIdHeader, request.id);
    enter(request, reply, done);
  });
  app.addHook('preValidation', enter);
  app.addHook('preHandler', enter);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(no route)';
    if (quietRoutes.has(route)) return;
    backbone.logger.info(
      {
        correlationId: request.id,
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        ...(request.principal ? { keyId: request.principal.keyId } : {}),
      },
      'request',
    );
  });
}

/**
 * Fastify's own validator compiler, twice: bodies as configured (no coercion: JSON has types, and a
 * number sent for a decimal string is refused), and the query string, path parameters and headers
 * with coercion, because they are text by nature and `?limit=5` must satisfy `type: integer`.
 */
function textPartsCoerced(): BuildCompilerFromPool {
  const build = AjvCompiler();
  return (externalSchemas, options) => {
    const strict = build(externalSchemas, options);
    const coercing = build(externalSchemas, {
      ...options,
      mode: undefined,
      customOptions: { ...(options?.customOptions as AjvOptions | undefined), coerceTypes: true },
    });
    // Fastify passes the route's schema with the part it is for (the package's types say a bare schema).
    const byPart = (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : coercing)(route as never);
    return byPart as unknown as ReturnType<BuildCompilerFromPool>;
  };
}

async function readiness(backbone: Backbone, extra: Readonly<Record<string, () => Promise<void>>>): Promise<Record<string, string>> {
  const check = async (probe: () => Promise<unknown>) => {
    try {
      await probe();
      return 'ok';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  const [database, eventLog, schemaRegistry, ...others] = await Promise.all([
    check(() => backbone.db.query('select 1')),
    check(() =>
      backbone.bus
        .endOffsets('__paystream_readiness_probe')
        .catch((error: unknown) => (isMissingTopic(error) ? undefined : Promise.reject(error))),
    ),
    check(() => backbone.registry.registry.listSubjects()),
    ...Object.values(extra).map((probe) => check(probe)),
  ]);
  return {
    database: database!,
    eventLog: eventLog!,
    schemaRegistry: schemaRegistry!,
    ...Object.fromEntries(Object.keys(extra).map((name, index) => [name, others[index]!])),
  };
}

function isMissingTopic(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error);
  return /does not exist|UNKNOWN_TOPIC|unknown topic/i.test(text);
}
