export {
  topicPartitionKey,
  type EventBus,
  type EventBusCapabilities,
  type LogRecord,
  type MessageHeaders,
  type OutgoingMessage,
  type RecordBatch,
  type SubscribeOptions,
  type Subscription,
  type TopicPartition,
} from './event-bus.ts';
export { namespacedBus, namespacedTopicAdmin } from './namespaced-bus.ts';
