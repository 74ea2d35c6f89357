import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { AjvCompiler, type BuildCompilerFromPool, type Options as AjvOptions } from '@fastify/ajv-compiler';
import { clientErrorProblem, frameworkErrorProblem, installProblemErrorHandler, maxParamLength } from '../services/http/error-handler.ts';
import { problemOf, sendProblem } from '../services/http/problem.ts';
import { confluentRegistryRoutes, registrySecuritySchemes, type RegistryAuthorizer } from '../backbone/schema-registry-builtin/index.ts';
import type { Backbone } from './backbone.ts';

/** A payment request is well under 4 KiB; anything near this limit is a mistake or an attack. */
export const apiBodyLimitBytes = 32 * 1024;

/** Prefix of the built-in registry's Confluent REST API (point Confluent clients at it). */
export const schemaRegistryPrefix = '/schema-registry';

/**
 * The Fastify server paystream's HTTP surfaces run on, without routes: strict body validation,
 * coerced query strings, and every refusal as problem+json, also those Fastify and Node's parser
 * would answer with their own bodies (routing, malformed HTTP, a server shutting down).
 */
export function createApiServer(logError: (error: unknown) => void): FastifyInstance {
  const app = Fastify({
    logger: false,
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
  installProblemErrorHandler(app, logError);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close').header('retry-after', '1');
    return sendProblem(reply, problemOf('service-unavailable', 'this server is shutting down; nothing was accepted, retry (another instance)'));
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
  const app = createApiServer((error) => backbone.logger.error({ err: error }, 'request failed'));
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'paystream API', version: '1', description: 'Event-driven payments: submit a transfer (202 at once), follow it to settlement.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'psk_… API key' }, ...registrySecuritySchemes } },
      security: [{ apiKey: [] }],
    },
  });
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1/')) route.bodyLimit ??= apiBodyLimitBytes;
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const checks = await readiness(backbone, options.readinessChecks ?? {});
    const ready = Object.values(checks).every((check) => check === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await backbone.metricsRegistry.metrics();
    return reply.type(backbone.metricsRegistry.contentType).send(body);
  });
  if (backbone.registry.builtin) await app.register(confluentRegistryRoutes(backbone.registry.builtin, { authorize: options.authorizeRegistry }), { prefix: schemaRegistryPrefix });
  if (options.mount) await options.mount(app);
  return app;
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
    const coercing = build(externalSchemas, { ...options, mode: undefined, customOptions: { ...(options?.customOptions as AjvOptions | undefined), coerceTypes: true } });
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
    check(() => backbone.bus.endOffsets('__paystream_readiness_probe').catch((error: unknown) => (isMissingTopic(error) ? undefined : Promise.reject(error)))),
    check(() => backbone.registry.registry.listSubjects()),
    ...Object.values(extra).map((probe) => check(probe)),
  ]);
  return { database: database!, eventLog: eventLog!, schemaRegistry: schemaRegistry!, ...Object.fromEntries(Object.keys(extra).map((name, index) => [name, others[index]!])) };
}

function isMissingTopic(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error);
  return /does not exist|UNKNOWN_TOPIC|unknown topic/i.test(text);
}
