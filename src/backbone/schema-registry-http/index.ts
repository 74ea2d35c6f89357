export { HttpSchemaRegistry, type HttpSchemaRegistryOptions } from './http-schema-registry.ts';
