import { PaymentEventTypes, PaymentTopics } from '../../../contracts/topics.ts';
import type { RtgsRejected, RtgsSettled } from '../../../contracts/events.ts';
import type { NewEvent } from '../../../backbone/envelope/event-encoder.ts';
import { TransactionStatusCodes, type TransactionStatus } from '../../../contracts/iso20022/pacs002.ts';

/**
 * The life of one RTGS submission, per UETR: `submitted` until the network's pacs.002 says
 * settled or rejected; both are final. The transition happens once (the store applies it with a
 * conditional update under a row lock), so an answer that arrives twice — by callback and by
 * status query — has its effect once.
 */
export type SubmissionState = 'submitted' | 'settled' | 'rejected';

/** What a submission is, as far as deciding on an answer goes. */
export interface SubmissionFacts {
  uetr: string;
  paymentId: string;
  debtorAccount: string;
  state: SubmissionState;
}

export type StatusDecision =
  | { kind: 'settle'; event: NewEvent & { payload: RtgsSettled } }
  | { kind: 'reject'; event: NewEvent & { payload: RtgsRejected } }
  /** No decision yet (PDNG, ACSP, ACTC, or a code we do not know): keep waiting. */
  | { kind: 'pending'; status: string }
  /** Already final: nothing to do. `conflicting` when the network now says the opposite (an alert). */
  | { kind: 'already-final'; state: 'settled' | 'rejected'; conflicting: boolean };

/** ACSC / ACCC settle, RJCT rejects, everything else is not final yet. */
export function outcomeOfStatus(status: string): 'settled' | 'rejected' | 'pending' {
  if (status === TransactionStatusCodes.ACSC || status === TransactionStatusCodes.ACCC) return 'settled';
  if (status === TransactionStatusCodes.RJCT) return 'rejected';
  return 'pending';
}

/**
 * Decides what one transaction status of a pacs.002 means for a submission. Pure: the caller
 * applies the decision (state update and event) in one database transaction.
 *
 * @param reportDate the pacs.002's creation date (YYYY-MM-DD): the settlement date when the
 *   status carries none.
 */
export function decideOnStatus(submission: SubmissionFacts, status: TransactionStatus, reportDate: string): StatusDecision {
  const outcome = outcomeOfStatus(status.status);
  if (submission.state !== 'submitted') {
    return { kind: 'already-final', state: submission.state, conflicting: outcome !== 'pending' && outcome !== submission.state };
  }
  const { uetr, paymentId, debtorAccount } = submission;
  if (outcome === 'settled') {
    const payload: RtgsSettled = { paymentId, uetr, debtorAccount, settlementDate: status.settlementDate ?? reportDate };
    return {
      kind: 'settle',
      event: { topic: PaymentTopics.rtgsSettled, eventType: PaymentEventTypes[PaymentTopics.rtgsSettled], key: debtorAccount, payload },
    };
  }
  if (outcome === 'rejected') {
    const reasonCode = status.reasonCode ?? 'NARR';
    const reason = status.reasonText ?? `rejected by the RTGS network (${reasonCode})`;
    const payload: RtgsRejected = { paymentId, uetr, debtorAccount, reasonCode, reason };
    return {
      kind: 'reject',
      event: { topic: PaymentTopics.rtgsRejected, eventType: PaymentEventTypes[PaymentTopics.rtgsRejected], key: debtorAccount, payload },
    };
  }
  return { kind: 'pending', status: status.status };
}
