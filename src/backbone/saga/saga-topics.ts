import { defineTopic, type TopicOptions } from '../topics/define-topic.ts';
import { withFailureTopics } from '../topics/failure-topics.ts';
import type { TopicSpec } from '../topics/topic-admin.ts';
import type { SagaDefinition } from './definition.ts';

/**
 * The topics a saga needs, as code: its reply topic and each participant's command topic, all keyed
 * by saga id, each with its dead-letter topic (the orchestrator and the participants retry in
 * place, so no retry tiers). Pass them to `ensureTopics` with the rest of the service's topics.
 */
export function sagaTopics(definition: SagaDefinition, replyTopic: string, options: Omit<TopicOptions, 'name'> = {}): TopicSpec[] {
  const names = [replyTopic, ...new Set(definition.steps.map((step) => step.commandTopic))];
  return names.flatMap((name) => withFailureTopics(defineTopic({ ...options, name }), { retryDelaysMs: [] }));
}
