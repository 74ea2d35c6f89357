import type { TopicAdmin, TopicDescription, TopicSpec } from '../topics/topic-admin.ts';
import type { EventBus, LogRecord, OutgoingMessage, RecordBatch, SubscribeOptions, Subscription, TopicPartition } from './event-bus.ts';

/**
 * Several deployments on one Kafka cluster (staging next to a load test, a test run next to
 * another): every topic and consumer group of this process gets the prefix `<namespace>.`, and
 * the code above never sees it. Records come back with the names the code used.
 */
export function namespacedBus(bus: EventBus, namespace: string): EventBus {
  const { outer, inner } = naming(namespace);
  const unwrapRecord = (record: LogRecord): LogRecord => ({ ...record, topic: outer(record.topic) });
  const unwrapPartitions = (partitions: readonly TopicPartition[]) => partitions.map((tp) => ({ ...tp, topic: outer(tp.topic) }));
  return {
    engine: bus.engine,
    capabilities: bus.capabilities,
    publish: (messages: readonly OutgoingMessage[]) =>
      bus.publish(messages.map((message) => ({ ...message, topic: inner(message.topic) }))),
    partitionFor: (topic, key) => bus.partitionFor(inner(topic), key),
    endOffsets: (topic) => bus.endOffsets(inner(topic)),
    committedOffsets: (groupId, topic) => bus.committedOffsets(inner(groupId), inner(topic)),
    close: () => bus.close(),
    async subscribe(options: SubscribeOptions): Promise<Subscription> {
      const subscription = await bus.subscribe({
        ...options,
        groupId: inner(options.groupId),
        topics: options.topics.map(inner),
        ...(options.onAssigned && {
          onAssigned: async (partitions: readonly TopicPartition[]) => {
            const positions = await options.onAssigned!(unwrapPartitions(partitions));
            return positions ? new Map([...positions].map(([key, offset]) => [inner(key), offset])) : positions;
          },
        }),
        ...(options.onRevoked && {
          onRevoked: (partitions: readonly TopicPartition[]) => options.onRevoked!(unwrapPartitions(partitions)),
        }),
        handleBatch: (batch: RecordBatch) =>
          options.handleBatch({ ...batch, topic: outer(batch.topic), records: batch.records.map(unwrapRecord) }),
      });
      return {
        groupId: options.groupId,
        assignment: () => unwrapPartitions(subscription.assignment()),
        ready: () => subscription.ready(),
        close: () => subscription.close(),
        closed: subscription.closed,
      };
    },
  };
}

export function namespacedTopicAdmin(admin: TopicAdmin, namespace: string): TopicAdmin {
  const { outer, inner } = naming(namespace);
  return {
    async describeTopics(names: readonly string[]): Promise<Map<string, TopicDescription>> {
      const described = await admin.describeTopics(names.map(inner));
      return new Map([...described].map(([name, description]) => [outer(name), { ...description, name: outer(description.name) }]));
    },
    createTopics: (specs: readonly TopicSpec[]) => admin.createTopics(specs.map((spec) => ({ ...spec, name: inner(spec.name) }))),
    addPartitions: (topic, partitionCount) => admin.addPartitions(inner(topic), partitionCount),
    alterTopicConfigs: (topic, configs) => admin.alterTopicConfigs(inner(topic), configs),
    close: async () => admin.close?.(),
  };
}

function naming(namespace: string): { inner: (name: string) => string; outer: (name: string) => string } {
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(namespace))
    throw new RangeError(`namespace must be 1-32 lowercase letters, digits or dashes, got "${namespace}"`);
  const prefix = `${namespace}.`;
  return {
    inner: (name) => prefix + name,
    // A name keyed as `topic:partition` (positions) is prefixed as a whole, so stripping works the same way.
    outer: (name) => (name.startsWith(prefix) ? name.slice(prefix.length) : name),
  };
}
