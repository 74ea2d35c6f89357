export { KafkaEventBus } from './kafka-event-bus.ts';
export { KafkaTopicAdmin, topicConfigsOf } from './kafka-topic-admin.ts';
export { kafkaDefaults, resolveKafkaOptions, type KafkaEventBusOptions } from './options.ts';
