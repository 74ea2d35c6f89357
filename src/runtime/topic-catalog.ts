import type { TopicSpec } from '../backbone/topics/topic-admin.ts';
import type { PaystreamConfig } from './config.ts';
import type { Backbone } from './backbone.ts';
import { serviceDepsOf, topicsOf } from './platform.ts';
import { buildServices } from './service-catalog.ts';

/**
 * Every topic paystream declares: the payment topics, the retry tiers of the consumers that retry
 * without blocking, a dead-letter topic each, and what the services add; capped to what the
 * configured event log can replicate (1 on the embedded log or a single broker).
 */
export function declaredTopics(config: PaystreamConfig, backbone: Backbone): TopicSpec[] {
  return topicsOf(buildServices(serviceDepsOf(backbone), config, {}), config);
}
