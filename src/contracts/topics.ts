import { defineTopic } from '../backbone/topics/define-topic.ts';
import type { TopicSpec } from '../backbone/topics/topic-admin.ts';

/**
 * The payment flow's topics, `<domain>.<event>.v<major>`, and the event type each carries. A topic
 * carries one event type, so its Avro subject (`<topic>-value`) has one schema lineage.
 *
 * The flow (choreography): submitted → validated | rejected → [compliance stages] → reserved |
 * failed → rtgs.submitted → rtgs.settled | rtgs.rejected → completed | failed. Every event is keyed
 * by the debtor account.
 */
export const PaymentTopics = {
  submitted: 'payments.submitted.v1',
  validated: 'payments.validated.v1',
  rejected: 'payments.rejected.v1',
  reserved: 'payments.reserved.v1',
  completed: 'payments.completed.v1',
  failed: 'payments.failed.v1',
  rtgsSubmitted: 'rtgs.submitted.v1',
  rtgsSettled: 'rtgs.settled.v1',
  rtgsRejected: 'rtgs.rejected.v1',
  // Compliance stages, between validation and the ledger:
  // validated → screening → initiated | blocked | held → fraud scoring → scored (+ cleared | held);
  // a compliance officer's decision on a held payment → initiated / cleared | rejected.
  initiated: 'payments.initiated.v1',
  blocked: 'payments.blocked.v1',
  held: 'payments.held.v1',
  scored: 'payments.scored.v1',
  cleared: 'payments.cleared.v1',
  amlAlertRaised: 'aml.alert-raised.v1',
  caseDecided: 'compliance.case-decided.v1',
} as const;
export type PaymentTopic = (typeof PaymentTopics)[keyof typeof PaymentTopics];

export const PaymentEventTypes: Record<PaymentTopic, string> = {
  'payments.submitted.v1': 'PaymentSubmitted',
  'payments.validated.v1': 'PaymentValidated',
  'payments.rejected.v1': 'PaymentRejected',
  'payments.reserved.v1': 'PaymentReserved',
  'payments.completed.v1': 'PaymentCompleted',
  'payments.failed.v1': 'PaymentFailed',
  'rtgs.submitted.v1': 'RtgsSubmitted',
  'rtgs.settled.v1': 'RtgsSettled',
  'rtgs.rejected.v1': 'RtgsRejected',
  'payments.initiated.v1': 'PaymentInitiated',
  'payments.blocked.v1': 'PaymentBlocked',
  'payments.held.v1': 'PaymentHeldForReview',
  'payments.scored.v1': 'PaymentScored',
  'payments.cleared.v1': 'PaymentCleared',
  'aml.alert-raised.v1': 'AmlAlertRaised',
  'compliance.case-decided.v1': 'ComplianceCaseDecided',
};

/** Topics a customer hears about (notifications). */
export const customerFacingTopics: readonly PaymentTopic[] = [
  PaymentTopics.completed,
  PaymentTopics.failed,
  PaymentTopics.rejected,
  PaymentTopics.blocked,
];

/** The declarations of every payment topic (their retry and dead-letter topics are derived). */
export function paymentTopicSpecs(): TopicSpec[] {
  return Object.values(PaymentTopics).map((name) => defineTopic({ name }));
}
