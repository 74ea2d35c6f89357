import { defineTopic } from '../backbone/topics/define-topic.ts';
import type { TopicSpec } from '../backbone/topics/topic-admin.ts';

/**
 * A family of topics declared once, each beside the one event type it carries (a topic carries one
 * event type, so its Avro subject `<topic>-value` has one schema lineage). The payment flow's
 * topics and the order flow's are declared with it, so both read the same way and a topic cannot
 * be added without its event type.
 */
export interface TopicCatalog<Entries extends Record<string, readonly [topic: string, eventType: string]>> {
  /** Name → topic, e.g. `PaymentTopics.completed` is `'payments.completed.v1'`. */
  readonly topics: { readonly [Name in keyof Entries]: Entries[Name][0] };
  /** Topic → the event type it carries. */
  readonly eventTypes: Readonly<Record<Entries[keyof Entries][0], string>>;
  /** The declarations of every topic of the family (their retry and dead-letter topics are derived from the consumers). */
  specs(): TopicSpec[];
}

export function defineTopicCatalog<const Entries extends Record<string, readonly [topic: string, eventType: string]>>(
  entries: Entries,
): TopicCatalog<Entries> {
  const pairs = Object.entries(entries).map(([name, [topic, eventType]]) => ({ name, topic, eventType }));
  const topicNames = pairs.map((pair) => pair.topic);
  if (new Set(topicNames).size !== topicNames.length) throw new Error(`a topic is declared twice: ${topicNames.join(', ')}`);
  return {
    topics: Object.fromEntries(pairs.map((pair) => [pair.name, pair.topic])) as TopicCatalog<Entries>['topics'],
    eventTypes: Object.fromEntries(pairs.map((pair) => [pair.topic, pair.eventType])) as TopicCatalog<Entries>['eventTypes'],
    specs: () => topicNames.map((name) => defineTopic({ name })),
  };
}
