import type { TopicSpec } from '../backbone/topics/topic-admin.ts';
import { capReplication } from '../backbone/topics/define-topic.ts';
import type { PaystreamConfig } from './config.ts';

/**
 * Every topic paystream declares, with its retry and dead-letter topics, capped to what the
 * configured event log can replicate (1 on the embedded log or a single broker). The payment
 * platform's contracts add their topics here.
 */
export function declaredTopics(config: PaystreamConfig): TopicSpec[] {
  const declared: TopicSpec[] = [];
  const replicationFactorMax = config.eventLog.kind === 'kafka' ? config.eventLog.replicationFactor : 1;
  return capReplication(declared, replicationFactorMax);
}
