import type { TopicSpec } from '../backbone/topics/topic-admin.ts';
import { defineTopicCatalog } from './topic-catalog.ts';

/**
 * The payment flow's topics, `<domain>.<event>.v<major>`, and the event type each carries. A topic
 * carries one event type, so its Avro subject (`<topic>-value`) has one schema lineage.
 *
 * The flow (choreography): submitted → validated | rejected → [compliance stages] → reserved |
 * failed → rtgs.submitted → rtgs.settled | rtgs.rejected → completed | failed. Every event is keyed
 * by the debtor account.
 */
const paymentTopicCatalog = defineTopicCatalog({
  submitted: ['payments.submitted.v1', 'PaymentSubmitted'],
  validated: ['payments.validated.v1', 'PaymentValidated'],
  rejected: ['payments.rejected.v1', 'PaymentRejected'],
  reserved: ['payments.reserved.v1', 'PaymentReserved'],
  completed: ['payments.completed.v1', 'PaymentCompleted'],
  failed: ['payments.failed.v1', 'PaymentFailed'],
  rtgsSubmitted: ['rtgs.submitted.v1', 'RtgsSubmitted'],
  rtgsSettled: ['rtgs.settled.v1', 'RtgsSettled'],
  rtgsRejected: ['rtgs.rejected.v1', 'RtgsRejected'],
  // Compliance stages, between validation and the ledger:
  // validated → screening → initiated | blocked | held → fraud scoring → scored (+ cleared | held);
  // a compliance officer's decision on a held payment → initiated / cleared | rejected.
  initiated: ['payments.initiated.v1', 'PaymentInitiated'],
  blocked: ['payments.blocked.v1', 'PaymentBlocked'],
  held: ['payments.held.v1', 'PaymentHeldForReview'],
  scored: ['payments.scored.v1', 'PaymentScored'],
  cleared: ['payments.cleared.v1', 'PaymentCleared'],
  amlAlertRaised: ['aml.alert-raised.v1', 'AmlAlertRaised'],
  caseDecided: ['compliance.case-decided.v1', 'ComplianceCaseDecided'],
});

export const PaymentTopics = paymentTopicCatalog.topics;
export type PaymentTopic = (typeof PaymentTopics)[keyof typeof PaymentTopics];

export const PaymentEventTypes: Readonly<Record<PaymentTopic, string>> = paymentTopicCatalog.eventTypes;

/** Topics a customer hears about (notifications). */
export const customerFacingTopics: readonly PaymentTopic[] = [
  PaymentTopics.completed,
  PaymentTopics.failed,
  PaymentTopics.rejected,
  PaymentTopics.blocked,
];

/** The declarations of every payment topic (their retry and dead-letter topics are derived). */
export function paymentTopicSpecs(): TopicSpec[] {
  return paymentTopicCatalog.specs();
}
