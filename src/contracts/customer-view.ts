import { PaymentReasonCodes, type PaymentStatus } from './payment.ts';

/**
 * What a customer may be told about a payment: the one place where the platform's internal status,
 * reason and event types become what the payments API, its timeline, webhooks, emails and text
 * messages show.
 *
 * Telling a customer that a sanctions or money-laundering suspicion exists is the offence of
 * tipping off (EU AMLD art. 39, UK POCA s.333A, the US BSA for SARs), and telling them which fraud
 * rule fired teaches them to avoid it. So a payment blocked by screening, held for review (by
 * screening or fraud scoring) or rejected by a compliance officer is shown only with a neutral code
 * and text, and with a status that another payment could have for an innocent reason: a block is
 * `REJECTED`, a hold is `ON_HOLD`. The evidence stays on the events for internal consumers and on
 * the ops-scoped surfaces (compliance cases, audit trail, screening decisions).
 *
 * Disclosure is an allow list: a reason code is shown only if it is named below as one the customer
 * can act on; any other, including codes added later, reads as `PAYMENT_NOT_PROCESSED`.
 */
export const CustomerPaymentStatuses = [
  'RECEIVED',
  'VALIDATED',
  'ON_HOLD',
  'RESERVED',
  'SUBMITTED',
  'COMPLETED',
  'REJECTED',
  'FAILED',
] as const;
export type CustomerPaymentStatus = (typeof CustomerPaymentStatuses)[number];

/** The neutral codes, for what must not be explained. */
export const NeutralReasons = {
  notProcessed: { code: 'PAYMENT_NOT_PROCESSED', text: 'The payment could not be processed.' },
  underReview: { code: 'PAYMENT_UNDER_REVIEW', text: 'The payment is being reviewed.' },
} as const;

/**
 * Reasons the customer can act on (fund the account, correct a field, add the Travel Rule
 * information, try again later), shown with their code; `text: null` keeps the event's own reason,
 * a text replaces it where the event's reason is internal detail (an engine's error message).
 */
const disclosedReasons: ReadonlyMap<string, { text: string | null }> = new Map([
  [PaymentReasonCodes.DEBTOR_ACCOUNT_NOT_FOUND, { text: null }],
  [PaymentReasonCodes.DEBTOR_ACCOUNT_CLOSED, { text: null }],
  [PaymentReasonCodes.CURRENCY_MISMATCH, { text: null }],
  [PaymentReasonCodes.AMOUNT_ABOVE_LIMIT, { text: null }],
  [PaymentReasonCodes.CREDITOR_ACCOUNT_INVALID, { text: null }],
  [PaymentReasonCodes.INSUFFICIENT_FUNDS, { text: null }],
  [PaymentReasonCodes.RTGS_REJECTED, { text: null }],
  [PaymentReasonCodes.RTGS_UNREACHABLE, { text: null }],
  [PaymentReasonCodes.TRAVEL_RULE_MISSING_INFORMATION, { text: null }],
  // Every payment is screened, so saying the check could not run suspects nobody.
  [
    PaymentReasonCodes.SCREENING_UNAVAILABLE,
    { text: 'The payment could not be checked in time and was not processed; no funds were taken. It may be submitted again.' },
  ],
]);

export const CustomerReasonCodes = [...disclosedReasons.keys(), NeutralReasons.notProcessed.code, NeutralReasons.underReview.code];

export interface CustomerReason {
  code: string;
  text: string;
}

export interface CustomerOutcome {
  status: CustomerPaymentStatus;
  /** Why the payment stopped (REJECTED, FAILED) or waits (ON_HOLD); null otherwise. */
  reason: CustomerReason | null;
}

/** The customer's view of a payment's internal status and the reason recorded with it. */
export function customerOutcome(internal: { status: string; reasonCode: string | null; reason: string | null }): CustomerOutcome {
  const status = internal.status as PaymentStatus;
  switch (status) {
    case 'RECEIVED':
    case 'VALIDATED':
    case 'RESERVED':
    case 'SUBMITTED':
    case 'COMPLETED':
      // A released hold leaves its reason on the row: it is not the customer's business either.
      return { status, reason: null };
    case 'HELD_FOR_REVIEW':
      return { status: 'ON_HOLD', reason: { ...NeutralReasons.underReview } };
    case 'BLOCKED':
      return { status: 'REJECTED', reason: { ...NeutralReasons.notProcessed } };
    case 'REJECTED':
    case 'FAILED':
      return { status, reason: disclosedReason(internal.reasonCode, internal.reason) };
    default:
      throw new Error(`customerOutcome: unknown payment status ${String(internal.status)}`);
  }
}

/**
 * The name a customer sees for an event on the payment's timeline and on webhooks; undefined for
 * the platform's internal steps (screening, fraud scoring, AML alerts, officers' decisions), whose
 * very names would tell. A block reads as the rejection it is to the customer.
 */
export function customerEventType(eventType: string): string | undefined {
  return customerEventTypes.get(eventType);
}

const customerEventTypes: ReadonlyMap<string, string> = new Map([
  ['PaymentSubmitted', 'PaymentSubmitted'],
  ['PaymentValidated', 'PaymentValidated'],
  ['PaymentHeldForReview', 'PaymentOnHold'],
  ['PaymentReserved', 'PaymentReserved'],
  ['RtgsSubmitted', 'RtgsSubmitted'],
  ['RtgsSettled', 'RtgsSettled'],
  ['RtgsRejected', 'RtgsRejected'],
  ['PaymentCompleted', 'PaymentCompleted'],
  ['PaymentFailed', 'PaymentFailed'],
  ['PaymentRejected', 'PaymentRejected'],
  ['PaymentBlocked', 'PaymentRejected'],
]);

/** Every name `customerEventType` can answer. */
export const CustomerEventTypes = [...new Set(customerEventTypes.values())];

function disclosedReason(reasonCode: string | null, reason: string | null): CustomerReason {
  const disclosed = reasonCode === null ? undefined : disclosedReasons.get(reasonCode);
  if (reasonCode === null || disclosed === undefined) return { ...NeutralReasons.notProcessed };
  return { code: reasonCode, text: disclosed.text ?? reason ?? NeutralReasons.notProcessed.text };
}
