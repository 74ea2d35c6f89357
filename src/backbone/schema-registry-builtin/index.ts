export { DatabaseSchemaRegistry } from './database-schema-registry.ts';
export { confluentRegistryRoutes, schemaRegistryContentType } from './confluent-routes.ts';
export { serveSchemaRegistry, type SchemaRegistryServer, type SchemaRegistryServerOptions } from './server.ts';
export { schemaRegistryMigrations } from './migrations.ts';
