import { findErrorBy, Producer, ProduceAcks, type MessageToProduce } from '@platformatic/kafka';
import type { OutgoingMessage } from '../messaging/event-bus.ts';
import { partitionForKey } from '../messaging/partitioner.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { toBackboneError } from './errors.ts';
import { baseClientOptions, type ResolvedKafkaOptions } from './options.ts';

/**
 * The bus's one producer: idempotent (the broker drops a batch it already has when a send is
 * retried, so retries do not duplicate or reorder within a partition) with acks=all (a send
 * resolves once every in-sync replica has it).
 *
 * The partition is chosen here, not by the library: its default partitioner is murmur2 with
 * `>>> 0` where the Java client masks with `& 0x7fffffff`, so about half of all keys would land in
 * a different partition than a Java, Kafka Streams or librdkafka producer puts them.
 */
export class KafkaPublisher {
  readonly #producer: Producer;
  readonly #options: ResolvedKafkaOptions;
  readonly #partitionCounts = new Map<string, { count: number; readAtMs: number }>();
  readonly #now: () => number;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: ResolvedKafkaOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
    this.#producer = new Producer({
      ...baseClientOptions(options, 'producer'),
      // The library turns an idempotent producer's `retries` of 0 or 1 into "retry forever"; a
      // publish must fail in bounded time (the outbox relay retries it), so never pass those.
      retries: Math.max(options.retries, 2),
      idempotent: true,
      acks: ProduceAcks.ALL,
      compression: options.compression,
      // The partition is always set explicitly; a stale count must not be "normalised" silently
      // onto another partition by a retry against fresher metadata.
      repeatOnStaleMetadata: false,
    });
  }

  /**
   * One `send` for the whole call: the library groups the messages per partition into one record
   * batch each, in call order, so messages of one call that share a partition keep their order.
   * Concurrent calls are independent sends; the idempotent producer numbers each partition's
   * batches in the order they are handed to the connection.
   */
  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const counts = new Map<string, number>();
    for (const topic of new Set(messages.map((m) => m.topic))) counts.set(topic, await this.partitionCount(topic));
    const toProduce: MessageToProduce[] = [];
    for (const message of messages) {
      const partition = partitionForKey(message.key, counts.get(message.topic)!);
      toProduce.push({
        topic: message.topic,
        partition,
        key: message.key,
        // A tombstone is a null value on the wire; the library writes null as such (length -1).
        value: message.value as Buffer,
        headers: toHeaderMap(message.headers),
      });
    }
    const sending = this.#producer.send({ messages: toProduce });
    this.#inFlight.add(sending);
    try {
      await sending;
    } catch (error) {
      // The cached counts may be what failed (a topic recreated or grown): read them again next time.
      for (const message of messages) this.#partitionCounts.delete(message.topic);
      throw toBackboneError(error, `publishing ${messages.length} message(s) to ${[...new Set(messages.map((m) => m.topic))].join(', ')}`);
    } finally {
      this.#inFlight.delete(sending);
    }
  }

  async partitionFor(topic: string, key: Buffer): Promise<number> {
    return partitionForKey(key, await this.partitionCount(topic));
  }

  /** From the cluster metadata, cached for `partitionCountMaxAgeMs`. */
  async partitionCount(topic: string): Promise<number> {
    const cached = this.#partitionCounts.get(topic);
    if (cached && this.#now() - cached.readAtMs < this.#options.partitionCountMaxAgeMs) return cached.count;
    let count: number | undefined;
    try {
      const metadata = await this.#producer.metadata({ topics: [topic], forceUpdate: cached !== undefined });
      count = metadata.topics.get(topic)?.partitionsCount;
    } catch (error) {
      if (isUnknownTopic(error)) throw missingTopic(topic, error);
      throw toBackboneError(error, `reading the partition count of ${topic}`);
    }
    if (count === undefined || count < 1) throw missingTopic(topic);
    this.#partitionCounts.set(topic, { count, readAtMs: this.#now() });
    return count;
  }

  /** Waits for the sends in flight (whatever their outcome), then closes the connections. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
    await this.#producer.close();
  }
}

/** The library reports a topic missing from the metadata as a UserError "Unknown topic <name>." without a code. */
function isUnknownTopic(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (findErrorBy(error, 'apiId', 'UNKNOWN_TOPIC_OR_PARTITION')) return true;
  const userError = findErrorBy(error, 'code', 'PLT_KFK_USER');
  return userError !== null && userError.message.startsWith('Unknown topic ');
}

function missingTopic(topic: string, cause?: unknown): BackboneError {
  return new BackboneError(ErrorCodes.INVALID_OPTIONS, `topic ${topic} does not exist in Kafka; declare it and apply the topic plan`, {
    cause,
  });
}

/** Header names travel as UTF-8 bytes; the library takes a Map so names need no serializer. */
function toHeaderMap(headers: OutgoingMessage['headers']): Map<Buffer, Buffer> | undefined {
  if (!headers) return undefined;
  const entries = Object.entries(headers);
  if (entries.length === 0) return undefined;
  return new Map(entries.map(([name, value]) => [Buffer.from(name, 'utf8'), value]));
}
