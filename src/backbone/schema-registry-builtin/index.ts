export { DatabaseSchemaRegistry } from './database-schema-registry.ts';
export {
  allowEveryCall,
  confluentRegistryRoutes,
  schemaRegistryContentType,
  type ConfluentRoutesOptions,
  type RegistryAccess,
  type RegistryAuthorizer,
  type RegistryRefusal,
} from './confluent-routes.ts';
export { serveSchemaRegistry, type SchemaRegistryServer, type SchemaRegistryServerOptions } from './server.ts';
export { schemaRegistryMigrations } from './migrations.ts';
