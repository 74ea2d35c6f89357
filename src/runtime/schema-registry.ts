import type { Database } from '../backbone/storage/database.ts';
import type { EventCodec } from '../backbone/codec/event-codec.ts';
import { AvroEventCodec, AvroSerde, CachingSchemaRegistry, subjectOf, type SchemaRegistry } from '../backbone/schema/index.ts';
import { DatabaseSchemaRegistry } from '../backbone/schema-registry-builtin/index.ts';
import { HttpSchemaRegistry } from '../backbone/schema-registry-http/index.ts';
import type { PaystreamConfig } from './config.ts';

export interface RuntimeSchemaRegistry {
  /** The registry behind a cache: known schemas keep working through a registry outage. */
  registry: SchemaRegistry;
  /** The built-in registry, when it is the one in use (its REST API is then served). */
  builtin: DatabaseSchemaRegistry | undefined;
  codec: EventCodec;
  close(): Promise<void>;
}

/**
 * The built-in registry (tables in paystream's database) unless SCHEMA_REGISTRY_URL names an
 * external Confluent-compatible one. `schemas` maps each topic to its Avro value schema.
 */
export async function openSchemaRegistry(
  config: PaystreamConfig,
  db: Database,
  schemas: ReadonlyMap<string, string>,
): Promise<RuntimeSchemaRegistry> {
  const builtin = config.schemaRegistry.kind === 'builtin' ? await DatabaseSchemaRegistry.open(db) : undefined;
  const inner: SchemaRegistry =
    builtin ?? new HttpSchemaRegistry(httpOptions(config.schemaRegistry.kind === 'http' ? config.schemaRegistry.url : ''));
  const registry = new CachingSchemaRegistry(inner);
  // Register (or find) every schema this process writes before anything runs: an incompatible
  // change fails the start, not the first payment; and encoding inside a database transaction then
  // never waits for the registry (on PGlite, whose one connection that transaction holds, it would
  // wait forever).
  for (const [topic, schema] of schemas) {
    await registry.register(subjectOf(topic), schema);
    await registry.lookup(subjectOf(topic), schema);
  }
  const serde = new AvroSerde({ registry });
  return { registry, builtin, codec: new AvroEventCodec(serde, registry, schemas), close: async () => {} };
}

/** Credentials in the URL (https://user:secret@registry) become basic auth, never logged. */
function httpOptions(url: string): ConstructorParameters<typeof HttpSchemaRegistry>[0] {
  const parsed = new URL(url);
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return username ? { url: parsed.toString().replace(/\/$/, ''), username, password } : { url: parsed.toString().replace(/\/$/, '') };
}
