import { customerEventType, customerOutcome, type CustomerPaymentStatus } from '../../contracts/customer-view.ts';

/** What a webhook, an email or a text message says about an event: a customer event type and its data. */
export interface CustomerNotice {
  eventType: string;
  data: Record<string, unknown>;
}

/**
 * The notice a customer gets for a payment event, or undefined for an event they are not told
 * about. Status and reason go through `customerOutcome`, the name through `customerEventType`, so a
 * block reads as a rejection with a neutral reason. The fields are picked per customer status, never
 * copied from the event: a blocked payment's notice has exactly the fields of any other
 * rejection's (its screening decision id and amount would set it apart), and a field added to an
 * event reaches no customer until it is named here.
 */
export function customerNotice(eventType: string, payload: unknown): CustomerNotice | undefined {
  const internalStatus = internalStatusByEventType.get(eventType);
  const noticeType = customerEventType(eventType);
  if (internalStatus === undefined || noticeType === undefined) return undefined;
  const event = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const outcome = customerOutcome({ status: internalStatus, reasonCode: textOrNull(event.reasonCode), reason: textOrNull(event.reason) });
  const reason = outcome.reason ? { reasonCode: outcome.reason.code, reason: outcome.reason.text } : {};
  return { eventType: noticeType, data: { ...pick(event, fieldsByStatus[outcome.status]), ...reason } };
}

/** The internal status each notifiable event means (the gateway's projection uses the same). */
const internalStatusByEventType: ReadonlyMap<string, string> = new Map([
  ['PaymentCompleted', 'COMPLETED'],
  ['PaymentFailed', 'FAILED'],
  ['PaymentRejected', 'REJECTED'],
  ['PaymentBlocked', 'BLOCKED'],
  ['PaymentHeldForReview', 'HELD_FOR_REVIEW'],
]);

/** The event's fields a notice carries, per customer status; the reason is added from the outcome. */
const fieldsByStatus: Record<CustomerPaymentStatus, readonly string[]> = {
  RECEIVED: [],
  VALIDATED: [],
  RESERVED: [],
  SUBMITTED: [],
  COMPLETED: ['paymentId', 'uetr', 'debtorAccount', 'amountMinor', 'currency', 'route'],
  FAILED: ['paymentId', 'debtorAccount', 'amountMinor', 'currency'],
  REJECTED: ['paymentId', 'debtorAccount'],
  ON_HOLD: ['paymentId', 'debtorAccount'],
};

function pick(event: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((field) => event[field] !== undefined).map((field) => [field, event[field]]));
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
