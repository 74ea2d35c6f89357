export {
  compatibilityModes,
  defaultCompatibilityMode,
  parseCompatibilityMode,
  parseVersion,
  registryErrors,
  RegistryErrorCodes,
  SchemaRegistryError,
  type CompatibilityMode,
  type CompatibilityResult,
  type SchemaRegistry,
  type SubjectVersion,
} from './schema-registry.ts';
export { CachingSchemaRegistry } from './caching-schema-registry.ts';
export { AvroSerde, type AvroSerdeOptions } from './avro-serde.ts';
export { createAvroType, DecimalType } from './avro-types.ts';
export { parseSchema, canonicalSchema, type AvroNode, type ParsedSchema } from './avro-schema.ts';
export { checkReaderWriter, checkAgainstVersions, type Incompatibility, type IncompatibilityKind } from './compatibility.ts';
export { encodeWireFrame, decodeWireFrame, wireHeaderBytes } from './wire-format.ts';
export { AvroEventCodec, subjectOf } from './avro-event-codec.ts';
