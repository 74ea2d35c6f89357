import type { TopicAdmin, TopicDescription, TopicSpec } from '../../src/backbone/topics/topic-admin.ts';

/**
 * A test double of an engine's topic administration, for the planner's unit tests: it keeps
 * topics in a map and refuses what Kafka refuses (creating an existing topic, lowering the
 * partition count). It records every call so tests can assert that a run changed nothing.
 */
export class FakeTopicAdmin implements TopicAdmin {
  readonly topics = new Map<string, TopicDescription>();
  readonly calls: string[] = [];
  /** Runs before `createTopics` does anything: lets a test simulate another process winning a race. */
  beforeCreate: (specs: readonly TopicSpec[]) => void = () => {};

  async describeTopics(names: readonly string[]): Promise<Map<string, TopicDescription>> {
    const found = new Map<string, TopicDescription>();
    for (const name of names) {
      const topic = this.topics.get(name);
      if (topic !== undefined) found.set(name, structuredClone(topic));
    }
    return found;
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.calls.push(`createTopics ${specs.map((spec) => spec.name).join(',')}`);
    this.beforeCreate(specs);
    const taken = specs.filter((spec) => this.topics.has(spec.name));
    if (taken.length > 0) throw new Error(`topic already exists: ${taken.map((spec) => spec.name).join(', ')}`);
    for (const spec of specs) this.seed(spec);
  }

  async addPartitions(topic: string, partitionCount: number): Promise<void> {
    this.calls.push(`addPartitions ${topic} ${partitionCount}`);
    const current = this.#mustGet(topic);
    if (partitionCount <= current.partitions)
      throw new Error(`${topic} has ${current.partitions} partitions, cannot go to ${partitionCount}`);
    current.partitions = partitionCount;
  }

  async alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    this.calls.push(`alterTopicConfigs ${topic} ${JSON.stringify(configs)}`);
    Object.assign(this.#mustGet(topic).configs, configs);
  }

  /** Puts a topic in place without recording a call, as if created earlier. */
  seed(spec: TopicSpec, configs?: Record<string, string>): void {
    this.topics.set(spec.name, {
      name: spec.name,
      partitions: spec.partitions,
      replicationFactor: spec.replicationFactor,
      configs: configs ?? {
        'retention.ms': String(spec.retentionMs),
        'cleanup.policy': spec.cleanupPolicy,
        'compression.type': spec.compression,
        'min.insync.replicas': String(spec.minInsyncReplicas),
      },
    });
  }

  #mustGet(topic: string): TopicDescription {
    const current = this.topics.get(topic);
    if (current === undefined) throw new Error(`unknown topic ${topic}`);
    return current;
  }
}
