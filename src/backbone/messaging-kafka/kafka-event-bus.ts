import { Admin, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';
import type { EventBus, EventBusCapabilities, OutgoingMessage, SubscribeOptions, Subscription } from '../messaging/event-bus.ts';
import { toBackboneError, toConnectionError } from './errors.ts';
import { KafkaPublisher } from './kafka-publisher.ts';
import { KafkaSubscription } from './kafka-subscription.ts';
import { baseClientOptions, resolveKafkaOptions, type KafkaEventBusOptions, type ResolvedKafkaOptions } from './options.ts';

/**
 * The event bus on Apache Kafka, through @platformatic/kafka: the scaled engine.
 *
 * One idempotent producer (acks=all) serves every `publish`; each subscription is a consumer group
 * member of its own, so members of one group in one or many processes split the partitions.
 * Offsets are committed per batch, after the handler resolved (never automatically). An `Admin`
 * client answers the position queries.
 */
export class KafkaEventBus implements EventBus {
  readonly engine = 'kafka' as const;
  readonly capabilities: EventBusCapabilities = { splitsPartitionsAcrossMembers: true, activeStandbyMembers: false };
  readonly options: Readonly<ResolvedKafkaOptions>;
  readonly #publisher: KafkaPublisher;
  readonly #admin: Admin;
  readonly #subscriptions = new Set<KafkaSubscription>();
  #closed = false;

  /** Validates `options` and creates the clients; connections open on first use. */
  constructor(options: KafkaEventBusOptions) {
    this.options = resolveKafkaOptions(options);
    this.#publisher = new KafkaPublisher(this.options);
    this.#admin = new Admin(baseClientOptions(this.options, 'admin'));
  }

  /**
   * Connects (a metadata request) so that a start fails at once, and says why, when the cluster
   * refuses this client: the SASL login, the broker's certificate, a required client certificate.
   * Failures of identity are `BROKER_AUTHENTICATION_FAILED`; an unreachable cluster is
   * `BROKER_UNAVAILABLE` after the configured retries.
   */
  async checkConnection(): Promise<void> {
    this.#assertOpen();
    try {
      await this.#admin.metadata({ topics: [], forceUpdate: true });
    } catch (error) {
      throw toConnectionError(error, this.options);
    }
  }

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.#assertOpen();
    return this.#publisher.publish(messages);
  }

  partitionFor(topic: string, key: Buffer): Promise<number> {
    return this.#publisher.partitionFor(topic, key);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.#assertOpen();
    const subscription = await KafkaSubscription.start(this.options, options);
    this.#subscriptions.add(subscription);
    void subscription.closed.catch(() => {}).finally(() => this.#subscriptions.delete(subscription));
    return subscription;
  }

  /** The high watermark of each partition (read uncommitted: what the log holds, open transactions included). */
  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    try {
      const partitionCount = await this.#publisher.partitionCount(topic);
      const [listed] = await this.#admin.listOffsets({
        topics: [
          {
            name: topic,
            partitions: Array.from({ length: partitionCount }, (_, partitionIndex) => ({
              partitionIndex,
              timestamp: ListOffsetTimestamps.LATEST,
            })),
          },
        ],
        isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
      });
      return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
    } catch (error) {
      throw toBackboneError(error, `listing the end offsets of ${topic}`);
    }
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
    try {
      const [group] = await this.#admin.listConsumerGroupOffsets({ groups: [groupId] });
      const committed = new Map<number, bigint>();
      for (const t of group?.topics ?? []) {
        if (t.name !== topic) continue;
        // -1: the group knows the partition but has no offset for it.
        for (const p of t.partitions) if (p.committedOffset >= 0n) committed.set(p.partitionIndex, p.committedOffset);
      }
      return committed;
    } catch (error) {
      throw toBackboneError(error, `reading the committed offsets of group ${groupId} on ${topic}`);
    }
  }

  /** Closes the subscriptions (each finishes its in-flight batches and leaves its group), then the clients. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#subscriptions].map((s) => s.close()));
    await Promise.allSettled([this.#publisher.close(), this.#admin.close()]);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the Kafka event bus is closed');
  }
}
