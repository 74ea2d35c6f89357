import type { ConsumedEvent } from '../backbone/consumer/handler.ts';
import type * as Events from './events.ts';
import { PaymentTopics, type PaymentTopic } from './topics.ts';

/**
 * The payload type of every payment topic: what a consumer of that topic receives once the Avro
 * value is decoded. A topic carries one event type (see `topics.ts`), so this map is total; the
 * unit test beside it (`event-contracts.unit.spec.ts`) checks each entry field by field against the
 * topic's Avro schema in `schemas.ts`, both ways, so the type a service compiles against cannot
 * drift from the schema the registry holds.
 */
export interface TopicPayloads {
  [PaymentTopics.submitted]: Events.PaymentSubmitted;
  [PaymentTopics.validated]: Events.PaymentValidated;
  [PaymentTopics.rejected]: Events.PaymentRejected;
  [PaymentTopics.reserved]: Events.PaymentReserved;
  [PaymentTopics.completed]: Events.PaymentCompleted;
  [PaymentTopics.failed]: Events.PaymentFailed;
  [PaymentTopics.rtgsSubmitted]: Events.RtgsSubmitted;
  [PaymentTopics.rtgsSettled]: Events.RtgsSettled;
  [PaymentTopics.rtgsRejected]: Events.RtgsRejected;
  [PaymentTopics.initiated]: Events.PaymentInitiated;
  [PaymentTopics.blocked]: Events.PaymentBlocked;
  [PaymentTopics.held]: Events.PaymentHeldForReview;
  [PaymentTopics.scored]: Events.PaymentScored;
  [PaymentTopics.cleared]: Events.PaymentCleared;
  [PaymentTopics.amlAlertRaised]: Events.AmlAlertRaised;
  [PaymentTopics.caseDecided]: Events.ComplianceCaseDecided;
}

/**
 * A consumed event of one payment topic, its payload typed by that topic. Given a union of topics
 * it is the union of their events, so checking `event.topic` narrows the payload.
 */
export type PaymentEvent<Topic extends PaymentTopic = PaymentTopic> = Topic extends PaymentTopic
  ? ConsumedEvent<TopicPayloads[Topic]> & { readonly topic: Topic }
  : never;

/** The topics whose payload has (at least) the given shape, e.g. those that carry the payment order. */
export type TopicsCarrying<Shape> = { [Topic in PaymentTopic]: TopicPayloads[Topic] extends Shape ? Topic : never }[PaymentTopic];

/**
 * Whether a consumed event was read from one of `topics`, narrowing its payload to theirs. The
 * backbone decodes a record with its topic's schema, so the topic is what vouches for the payload:
 * services narrow with this instead of casting `event.payload` (which lint refuses in
 * `src/services/`).
 */
export function isEventOf<Topic extends PaymentTopic>(event: ConsumedEvent, ...topics: readonly Topic[]): event is PaymentEvent<Topic> {
  return (topics as readonly string[]).includes(event.topic);
}

const paymentTopicNames: ReadonlySet<string> = new Set(Object.values(PaymentTopics));

/** Whether a consumed event was read from any payment topic (a consumer of configurable topics). */
export function isPaymentEvent(event: ConsumedEvent): event is PaymentEvent {
  return paymentTopicNames.has(event.topic);
}

/** The payment an event is about: every payment payload names it, by `paymentId` or in its `payment` order. */
export function paymentIdOf(payload: TopicPayloads[PaymentTopic]): string {
  return 'payment' in payload ? payload.payment.paymentId : payload.paymentId;
}
