import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { installProblemErrorHandler } from '../services/http/error-handler.ts';
import { confluentRegistryRoutes } from '../backbone/schema-registry-builtin/index.ts';
import { bearerSecurity, publicRoute, securitySchemes } from '../services/http/openapi.ts';
import type { Backbone } from './backbone.ts';

/** A payment request is well under 4 KiB; anything near this limit is a mistake or an attack. */
export const apiBodyLimitBytes = 32 * 1024;

/** Prefix of the built-in registry's Confluent REST API (point Confluent clients at it). */
export const schemaRegistryPrefix = '/schema-registry';

/**
 * The operational HTTP surface: liveness, readiness (database, event log and registry answer),
 * Prometheus metrics, and the built-in schema registry's Confluent API. The payment API mounts
 * its routes on the same server.
 */
export async function buildHttpServer(
  backbone: Backbone,
  options: { mount?: (app: FastifyInstance) => Promise<void>; readinessChecks?: Readonly<Record<string, () => Promise<void>>> } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024, // schema registry requests; the API's own routes take far less (below)
    // Validation must refuse, not repair: an unknown field or a number where a decimal string is
    // expected is the client's error to hear about (Fastify's defaults strip and coerce).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });
  installProblemErrorHandler(app, (error) => backbone.logger.error({ err: error }, 'request failed'));
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
  app.get('/health/live', { schema: { operationId: 'getLiveness', tags: ['operations'], summary: 'Liveness: the process answers', security: publicRoute, response: { 200: liveSchema } } }, async () => ({ status: 'ok' }));
  app.get('/health/ready', { schema: { operationId: 'getReadiness', tags: ['operations'], summary: 'Readiness: the database, event log, registry and consumers answer', security: publicRoute, response: { 200: readySchema, 503: readySchema } } }, async (_request, reply) => {
    const checks = await readiness(backbone, options.readinessChecks ?? {});
    const ready = Object.values(checks).every((check) => check === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', { schema: { operationId: 'getMetrics', tags: ['operations'], summary: 'Prometheus metrics (text exposition format)', security: publicRoute, response: { 200: metricsSchema } } }, async (_request, reply) => {
    const body = await backbone.metricsRegistry.metrics();
    return reply.type(backbone.metricsRegistry.contentType).send(body);
  });
  if (backbone.registry.builtin) await app.register(confluentRegistryRoutes(backbone.registry.builtin), { prefix: schemaRegistryPrefix });
  if (options.mount) await options.mount(app);
  return app;
}

const liveSchema = { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } as const;

const readySchema = {
  description: 'Each check is `ok` or what failed; 503 until every one is `ok`',
  type: 'object',
  required: ['status', 'checks'],
  properties: { status: { type: 'string', enum: ['ready', 'not ready'] }, checks: { type: 'object', additionalProperties: { type: 'string' } } },
} as const;

// Not serialized by Fastify (the handler sends a string); documents the exposition format.
const metricsSchema = { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } as const;

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
