import { describe, expect, it } from 'vitest';
import Fastify, { type RouteOptions } from 'fastify';
import { describeConfluentRoute } from './confluent-openapi.ts';

describe('the schema registry routes’ OpenAPI descriptions', () => {
  it('describes a route by its path under the prefix, and leaves its input to the handler', () => {
    const route = {
      method: 'GET',
      url: '/schema-registry/schemas/types',
      routePath: '/schemas/types',
      handler: async () => [],
    } as RouteOptions & { routePath: string };
    describeConfluentRoute(route);
    expect(route.schema).toMatchObject({ operationId: 'listSchemaTypes', security: [{ schemaRegistryBasic: [] }] });
    expect(route.attachValidation).toBe(true);
  });

  it('refuses a route without a description, so none goes undocumented', async () => {
    const app = Fastify();
    app.addHook('onRoute', describeConfluentRoute);
    expect(() => app.get('/contexts', async () => [])).toThrow(/GET \/contexts has no OpenAPI description/);
    await app.close();
  });
});
