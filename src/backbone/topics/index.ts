export type { CleanupPolicy, CompressionType, TopicAdmin, TopicDescription, TopicSpec } from './topic-admin.ts';
export { assertValidTopicSpec, capReplication, defineTopic, topicDefaults, type TopicOptions } from './define-topic.ts';
export {
  defaultRetryDelaysMs,
  failureTopicDefaults,
  failureTopicsOf,
  withFailureTopics,
  type FailureTopicsPolicy,
} from './failure-topics.ts';
export { assertTopicName, deadLetterTopicOf, formatDelay, retryTopicOf, maxTopicNameLength, topicNamePattern } from './topic-naming.ts';
export {
  isEmptyPlan,
  planTopics,
  topicConfigsOf,
  type ConfigChange,
  type TopicAction,
  type TopicConfigKey,
  type TopicPlan,
  type TopicWarning,
} from './topic-plan.ts';
export { applyTopicPlan, ensureTopics } from './apply-topics.ts';
export { formatPlan } from './format-plan.ts';
