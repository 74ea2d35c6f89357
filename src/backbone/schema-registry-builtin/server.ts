import Fastify from 'fastify';
import { confluentRegistryRoutes, type RegistryAuthorizer } from './confluent-routes.ts';
import type { DatabaseSchemaRegistry } from './database-schema-registry.ts';

export interface SchemaRegistryServerOptions {
  /** Interface to listen on; loopback unless the registry is meant to be reached from elsewhere. */
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** Who may read and write (see `confluentRegistryRoutes`); `allowEveryCall` only where nobody else can connect. */
  authorize: RegistryAuthorizer;
}

export interface SchemaRegistryServer {
  /** Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the built-in registry's Confluent REST API on a Fastify server of its own: for running the
 * registry as its own process, and for tests. A platform process that already runs Fastify can
 * register `confluentRegistryRoutes` under a prefix instead.
 */
export async function serveSchemaRegistry(
  registry: DatabaseSchemaRegistry,
  options: SchemaRegistryServerOptions,
): Promise<SchemaRegistryServer> {
  const app = Fastify({ logger: false });
  await app.register(confluentRegistryRoutes(registry, { authorize: options.authorize }));
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close: () => app.close() };
}
