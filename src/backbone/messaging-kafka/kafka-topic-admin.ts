import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import type { TopicAdmin, TopicDescription, TopicSpec } from '../topics/topic-admin.ts';
import { toBackboneError } from './errors.ts';
import { baseClientOptions, resolveKafkaOptions, type KafkaEventBusOptions } from './options.ts';

/**
 * Topic administration with Kafka's Admin API: what the "topics as code" planner applies.
 * It takes the same options as `KafkaEventBus` (only the connection settings matter here).
 */
export class KafkaTopicAdmin implements TopicAdmin {
  readonly #admin: Admin;
  readonly #visibleWithinMs: number;

  constructor(options: KafkaEventBusOptions) {
    const resolved = resolveKafkaOptions(options);
    this.#admin = new Admin(baseClientOptions(resolved, 'admin'));
    this.#visibleWithinMs = resolved.requestTimeoutMs;
  }

  /** Partition count and replication factor from the metadata; every topic config the broker reports (defaults included). */
  async describeTopics(names: readonly string[]): Promise<Map<string, TopicDescription>> {
    const descriptions = new Map<string, TopicDescription>();
    try {
      const existing = new Set(await this.#admin.listTopics({ includeInternals: false }));
      const present = [...new Set(names)].filter((name) => existing.has(name));
      if (present.length === 0) return descriptions;
      const metadata = await this.#admin.metadata({ topics: present, forceUpdate: true });
      const configs = await this.#admin.describeConfigs({
        resources: present.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name })),
      });
      for (const name of present) {
        const topic = metadata.topics.get(name);
        if (!topic) continue;
        const reported = configs.find((c) => c.resourceName === name)?.configs ?? [];
        descriptions.set(name, {
          name,
          partitions: topic.partitionsCount,
          replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
          configs: Object.fromEntries(reported.filter((c) => c.value !== null && !c.isSensitive).map((c) => [c.name, c.value!])),
        });
      }
      return descriptions;
    } catch (error) {
      throw toBackboneError(error, `describing topics ${names.join(', ')}`);
    }
  }

  /** One CreateTopics request per spec (each topic has its own configs); fails if a topic exists. */
  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    const results = await Promise.allSettled(
      specs.map((spec) =>
        this.#admin.createTopics({
          topics: [spec.name],
          partitions: spec.partitions,
          replicas: spec.replicationFactor,
          configs: Object.entries(topicConfigsOf(spec)).map(([name, value]) => ({ name, value })),
        }),
      ),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ name: specs[i]!.name, error: r.reason as unknown }] : []));
    if (failed.length > 0) throw toBackboneError(failed[0]!.error, `creating topic(s) ${failed.map((f) => f.name).join(', ')}`);
    for (const spec of specs) await this.#awaitMetadata(spec.name, spec.partitions);
  }

  /** Idempotent: asking for the current count (or fewer, which Kafka cannot do) changes nothing. */
  async addPartitions(topic: string, partitionCount: number): Promise<void> {
    try {
      const metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true });
      const current = metadata.topics.get(topic)?.partitionsCount ?? 0;
      if (partitionCount <= current) return;
      await this.#admin.createPartitions({ topics: [{ name: topic, count: partitionCount }] });
      await this.#awaitMetadata(topic, partitionCount);
    } catch (error) {
      throw toBackboneError(error, `raising ${topic} to ${partitionCount} partitions`);
    }
  }

  /**
   * The controller answers as soon as it has made the change; the brokers learn it a moment later.
   * Returning only once the metadata shows it (every partition with a leader) means the caller's
   * next describe, publish or subscribe sees the topic as it was declared.
   */
  async #awaitMetadata(topic: string, partitionCount: number): Promise<void> {
    const deadline = Date.now() + this.#visibleWithinMs;
    for (;;) {
      const metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      const described = metadata?.topics.get(topic);
      if (described && described.partitionsCount >= partitionCount && described.partitions.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline)
        throw new Error(
          `topic ${topic} did not show ${partitionCount} partitions with leaders in the metadata within ${this.#visibleWithinMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** IncrementalAlterConfigs SET: the named configs change, the others keep their values. */
  async alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    const entries = Object.entries(configs);
    if (entries.length === 0) return;
    try {
      await this.#admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: topic,
            configs: entries.map(([name, value]) => ({ name, value, configOperation: IncrementalAlterConfigOperationTypes.SET })),
          },
        ],
      });
    } catch (error) {
      throw toBackboneError(error, `altering configs of ${topic}`);
    }
    await this.#awaitConfigs(topic, configs);
  }

  /**
   * Waits until a describe shows the altered configs, as `createTopics` waits for the metadata: the
   * broker applies an alteration through its metadata log and answers before every describe sees
   * it (seen under load: the next describe still read the old `retention.ms`).
   */
  async #awaitConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    const deadline = Date.now() + this.#visibleWithinMs;
    for (;;) {
      const described = (await this.describeTopics([topic]).catch(() => undefined))?.get(topic);
      if (described && Object.entries(configs).every(([name, value]) => described.configs[name] === value)) return;
      if (Date.now() > deadline)
        throw new Error(`the configs of topic ${topic} did not show the altered values within ${this.#visibleWithinMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** For tests and tooling that clean up after themselves. */
  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.#admin.deleteTopics({ topics: [...names] });
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }
}

/** The topic-level configs a spec declares, in Kafka's names. */
export function topicConfigsOf(spec: TopicSpec): Record<string, string> {
  return {
    'retention.ms': String(spec.retentionMs),
    'cleanup.policy': spec.cleanupPolicy,
    'compression.type': spec.compression,
    'min.insync.replicas': String(spec.minInsyncReplicas),
  };
}
