import type avsc from 'avsc';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { createAvroType } from './avro-types.ts';
import { registryErrors, type SchemaRegistry } from './schema-registry.ts';
import { decodeWireFrame, encodeWireFrame, undecodable } from './wire-format.ts';

type Resolver = ReturnType<avsc.Type['createResolver']>;

export interface AvroSerdeOptions {
  /** Wrap it in `CachingSchemaRegistry`, so that an outage does not stop encoding and decoding. */
  registry: SchemaRegistry;
  /**
   * Register the schema on first encode (the default: the embedded engine, development). With
   * `false` the schema must already be registered (by a CI step or the CLI), as production wants.
   */
  autoRegister?: boolean;
}

/**
 * Avro payloads in the Confluent wire format, with schemas from a registry.
 *
 * Values map as `createAvroType` says: `long` and decimals as `bigint`, never a float. Parsed
 * types and writer→reader resolvers are cached per schema, so steady-state encoding and decoding
 * does no registry call and no schema parsing.
 */
export class AvroSerde {
  readonly #registry: SchemaRegistry;
  readonly #autoRegister: boolean;
  readonly #types = new Map<string, avsc.Type>();
  readonly #writerTypes = new Map<number, avsc.Type>();
  /** By reader type (cached by `#typeOf`, so one object per schema text), then writer schema id. */
  readonly #resolvers = new Map<avsc.Type, Map<number, Resolver>>();

  constructor(options: AvroSerdeOptions) {
    this.#registry = options.registry;
    this.#autoRegister = options.autoRegister ?? true;
  }

  /**
   * Encodes `value` with `schema`, registered (or looked up) under `subject`. A value that does not
   * fit the schema is SCHEMA_INVALID, naming the fields at fault: a bug in the producer.
   */
  async encode(subject: string, schema: string, value: unknown): Promise<Buffer> {
    const type = this.#typeOf(schema);
    const problems: string[] = [];
    if (!type.isValid(value, { errorHook: (path) => problems.push(path.join('.') || '(root)') })) {
      throw new BackboneError(ErrorCodes.SCHEMA_INVALID, `value does not match the schema of ${subject} at: ${problems.join(', ')}`);
    }
    const schemaId = await askRegistry(async () =>
      this.#autoRegister ? this.#registry.register(subject, schema) : (await this.#registry.lookup(subject, schema)).id,
    );
    return encodeWireFrame(schemaId, type.toBuffer(value));
  }

  /**
   * Decodes a wire-format frame, with the writer's schema from the registry, into `readerSchema`
   * if given (resolving fields added or removed since, with their defaults) or else into the
   * writer's schema. Bad framing, an unknown schema id, bytes that are not valid for the schema or
   * a writer schema the reader cannot read are UNDECODABLE_EVENT (permanent: a dead letter); a
   * registry that cannot be reached is REGISTRY_UNAVAILABLE (retryable).
   */
  async decode<T = unknown>(bytes: Buffer, readerSchema?: string): Promise<T> {
    return (await this.decodeWithSchemaId<T>(bytes, readerSchema)).value;
  }

  /** As `decode`, also telling which schema id the record was written with. */
  async decodeWithSchemaId<T = unknown>(bytes: Buffer, readerSchema?: string): Promise<{ value: T; schemaId: number }> {
    const { schemaId, payload } = decodeWireFrame(bytes);
    const writer = await this.#writerType(schemaId);
    const reader = readerSchema === undefined ? undefined : this.#typeOf(readerSchema);
    const resolver = reader && this.#resolver(schemaId, reader, writer);
    try {
      const value = reader ? reader.fromBuffer(payload, resolver) : writer.fromBuffer(payload);
      return { value: value as T, schemaId };
    } catch (error) {
      throw undecodable(`bytes do not decode with schema ${schemaId}: ${(error as Error).message}`, error);
    }
  }

  /** Keyed by the schema text as given: a hit costs no parsing. */
  #typeOf(schema: string): avsc.Type {
    let type = this.#types.get(schema);
    if (!type) {
      try {
        type = createAvroType(JSON.parse(schema));
      } catch (error) {
        throw new BackboneError(ErrorCodes.SCHEMA_INVALID, `invalid Avro schema: ${(error as Error).message}`, { cause: error });
      }
      this.#types.set(schema, type);
    }
    return type;
  }

  async #writerType(schemaId: number): Promise<avsc.Type> {
    const cached = this.#writerTypes.get(schemaId);
    if (cached) return cached;
    let schema: string;
    try {
      schema = await askRegistry(() => this.#registry.getById(schemaId));
    } catch (error) {
      if (error instanceof BackboneError && error.code === ErrorCodes.SCHEMA_NOT_FOUND)
        throw undecodable(`unknown schema id ${schemaId}`, error);
      throw error;
    }
    let type: avsc.Type;
    try {
      type = createAvroType(JSON.parse(schema));
    } catch (error) {
      throw undecodable(`schema ${schemaId} from the registry does not parse: ${(error as Error).message}`, error);
    }
    this.#writerTypes.set(schemaId, type);
    return type;
  }

  /** Looked up without building a key from the reader's schema text (hashing kilobytes per record). */
  #resolver(schemaId: number, reader: avsc.Type, writer: avsc.Type): Resolver {
    let byWriter = this.#resolvers.get(reader);
    if (!byWriter) this.#resolvers.set(reader, (byWriter = new Map()));
    let resolver = byWriter.get(schemaId);
    if (!resolver) {
      try {
        resolver = reader.createResolver(writer);
      } catch (error) {
        throw undecodable(`the reader schema cannot read schema ${schemaId}: ${(error as Error).message}`, error);
      }
      byWriter.set(schemaId, resolver);
    }
    return resolver;
  }
}

/**
 * A registry adapter may fail with a raw error (the built-in one when its database is down): that
 * is an outage, retryable, never a reason to dead-letter the record.
 */
async function askRegistry<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof BackboneError) throw error;
    throw registryErrors.unavailable(`schema registry failed: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}
