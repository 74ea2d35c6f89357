import Fastify, { type FastifyInstance } from 'fastify';
import { confluentRegistryRoutes } from '../backbone/schema-registry-builtin/index.ts';
import type { Backbone } from './backbone.ts';

/** Prefix of the built-in registry's Confluent REST API (point Confluent clients at it). */
export const schemaRegistryPrefix = '/schema-registry';

/**
 * The operational HTTP surface: liveness, readiness (database, event log and registry answer),
 * Prometheus metrics, and the built-in schema registry's Confluent API. The payment API mounts
 * its routes on the same server.
 */
export async function buildHttpServer(backbone: Backbone): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const checks = await readiness(backbone);
    const ready = Object.values(checks).every((check) => check === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await backbone.metricsRegistry.metrics();
    return reply.type(backbone.metricsRegistry.contentType).send(body);
  });
  if (backbone.registry.builtin) await app.register(confluentRegistryRoutes(backbone.registry.builtin), { prefix: schemaRegistryPrefix });
  return app;
}

async function readiness(backbone: Backbone): Promise<Record<string, string>> {
  const check = async (probe: () => Promise<unknown>) => {
    try {
      await probe();
      return 'ok';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  const [database, eventLog, schemaRegistry] = await Promise.all([
    check(() => backbone.db.query('select 1')),
    check(() => backbone.bus.endOffsets('__paystream_readiness_probe').catch((error: unknown) => (isMissingTopic(error) ? undefined : Promise.reject(error)))),
    check(() => backbone.registry.registry.listSubjects()),
  ]);
  return { database, eventLog, schemaRegistry };
}

function isMissingTopic(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error);
  return /does not exist|UNKNOWN_TOPIC|unknown topic/i.test(text);
}
