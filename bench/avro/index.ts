/**
 * The Avro serde on the hot path of every event: `AvroSerde.encode` (validate, look the schema id up
 * in the caching registry, serialise) and `decode` (the writer's schema by id, resolved into the
 * reader's), of a `payments.submitted.v1` event, through `CachingSchemaRegistry` over an in-memory
 * registry, so only the serde's and the cache's own work is measured (every service does one
 * encode per event it emits and one decode per event it consumes).
 */
import { parseArgs } from 'node:util';
import avsc from 'avsc';
import { AvroSerde } from '../../src/backbone/schema/avro-serde.ts';
import { CachingSchemaRegistry } from '../../src/backbone/schema/caching-schema-registry.ts';
import type { SchemaRegistry } from '../../src/backbone/schema/schema-registry.ts';
import { PaymentTopics } from '../../src/contracts/topics.ts';
import { paymentSchemaMap } from '../../src/contracts/schemas.ts';
import { BenchUsageError } from '../support/environment.ts';
import { progress } from '../support/progress.ts';

export const usage = `usage: npm run bench -- avro [--seconds N]

  --seconds N   how long to encode and decode (default 5)
Progress goes to stderr; the last line on stdout is the result, one JSON object.`;

export async function runAvro(argv: string[]): Promise<object> {
  let seconds: number;
  try {
    const { values } = parseArgs({ args: argv, strict: true, options: { seconds: { type: 'string', default: '5' } } });
    seconds = Number(values.seconds);
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  if (!(seconds > 0)) throw new BenchUsageError('--seconds must be a positive number');
  const texts = new Map<number, string>();
  // Only what the serde calls: register (encode) and getById (decode).
  const inMemory = {
    register: async (_subject: string, schema: string) => {
      const id = texts.size + 1;
      texts.set(id, schema);
      return id;
    },
    getById: async (id: number) => texts.get(id)!,
  } as unknown as SchemaRegistry;
  const serde = new AvroSerde({ registry: new CachingSchemaRegistry(inMemory) });
  const subject = PaymentTopics.submitted;
  const schema = paymentSchemaMap().get(subject)!;
  const value = avsc.Type.forSchema(JSON.parse(schema) as avsc.Schema).random();
  progress(`avro: ${subject} (schema ${schema.length} characters), encode + decode into the same schema for ${seconds} s`);
  let pairs = 0;
  const startedAt = performance.now();
  while (performance.now() - startedAt < seconds * 1000) {
    await serde.decode(await serde.encode(subject, schema, value), schema);
    pairs++;
  }
  const perSec = Math.round(pairs / ((performance.now() - startedAt) / 1000));
  progress(`avro: ${perSec.toLocaleString('en')} encode + decode pairs/s (${(1e6 / perSec).toFixed(1)} µs a pair), one thread`);
  return { bench: 'avro', encodeDecodePerSec: perSec };
}
