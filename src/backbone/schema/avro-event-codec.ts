import { BackboneError, ErrorCodes } from '../errors.ts';
import type { EncodedPayload, EventCodec } from '../codec/event-codec.ts';
import type { AvroSerde } from './avro-serde.ts';
import type { SchemaRegistry } from './schema-registry.ts';

/**
 * The production codec: Avro in the Confluent wire format, one schema per topic under the
 * subject `<topic>-value` (Confluent's TopicNameStrategy; a topic carries one event type, see the
 * naming rule `<domain>.<event>.v<major>`). `schemas` maps each topic to the schema this process
 * reads and writes it with; decoding resolves any registered writer version into it.
 */
export class AvroEventCodec implements EventCodec {
  readonly #serde: AvroSerde;
  readonly #registry: SchemaRegistry;
  readonly #schemas: ReadonlyMap<string, string>;
  readonly #versions = new Map<string, number>();

  constructor(serde: AvroSerde, registry: SchemaRegistry, schemas: ReadonlyMap<string, string>) {
    this.#serde = serde;
    this.#registry = registry;
    this.#schemas = schemas;
  }

  async encode(topic: string, _eventType: string, payload: unknown): Promise<EncodedPayload> {
    const subject = subjectOf(topic);
    const schema = this.#schemaOf(topic);
    const value = await this.#serde.encode(subject, schema, payload);
    let version = this.#versions.get(topic);
    if (version === undefined) {
      version = (await this.#registry.lookup(subject, schema)).version;
      this.#versions.set(topic, version);
    }
    return { value, schemaVersion: version };
  }

  decode(topic: string, _eventType: string, value: Buffer): Promise<unknown> {
    return this.#serde.decode(value, this.#schemas.get(topic));
  }

  #schemaOf(topic: string): string {
    const schema = this.#schemas.get(topic);
    if (!schema) throw new BackboneError(ErrorCodes.SCHEMA_NOT_FOUND, `no Avro schema is declared for topic ${topic}`);
    return schema;
  }
}

/** Confluent's TopicNameStrategy. */
export function subjectOf(topic: string): string {
  return `${topic}-value`;
}
