import type { NewEvent } from '../../../backbone/envelope/event-encoder.ts';
import { PaymentReasonCodes } from '../../../contracts/payment.ts';
import { PaymentEventTypes, PaymentTopics } from '../../../contracts/topics.ts';
import type { ComplianceCaseDecided, PaymentRejected } from '../../../contracts/events.ts';
import type { CaseStage } from '../cases.ts';

/** `withdrawn`: its subject ended before an officer decided (a loan application that ended undecided). */
export type CaseStatus = 'open' | 'approved' | 'rejected' | 'withdrawn';

/** What an officer's decision needs to know of a case, its row locked. */
export interface CaseUnderDecision {
  caseId: string;
  debtorAccount: string;
  stage: CaseStage;
  status: CaseStatus;
  /** Why it was withdrawn, for a withdrawn case (its `decision_reason`). */
  withdrawnReason?: string | null;
  /** The case's own payment first, then the payments attached to it in the order they were held. */
  payments: readonly HeldPayment[];
}

export interface HeldPayment {
  paymentId: string;
  correlationId: string;
  /** The event that releases the payment on approval. */
  onApprove: NewEvent;
  /**
   * The event that ends it on rejection, when the case is not a payment's (a loan applicant's
   * KYC): instead of `payments.rejected.v1`.
   */
  onReject?: NewEvent | undefined;
}

export interface OfficerDecision {
  decision: 'approve' | 'reject';
  reason: string;
  /** The API key id of the officer, recorded in the audit trail. */
  officerKeyId: string;
}

export type CaseDecision =
  | {
      kind: 'decide';
      status: 'approved' | 'rejected';
      /** Per payment of the case, the events to publish under its own correlation id. */
      publications: { correlationId: string; events: NewEvent[] }[];
    }
  | {
      kind: 'refuse';
      /** `case-withdrawn`: no decision is possible any more; `conflict`: it was decided already. */
      code: 'conflict' | 'case-withdrawn';
      reason: string;
    };

/**
 * An officer's decision on a case: once only, so a second decision (two officers on the same
 * case, a retried request) is refused, never applied twice, and so is a decision on a case
 * withdrawn because its subject ended first. It applies to every payment of the
 * case: each gets `compliance.case-decided.v1` (the audit trail), then on approval the event that
 * releases it, on rejection `payments.rejected.v1`, in which nothing was debited.
 */
export function decideCase(held: CaseUnderDecision, officer: OfficerDecision): CaseDecision {
  if (held.status === 'withdrawn')
    return {
      kind: 'refuse',
      code: 'case-withdrawn',
      reason: `the case was withdrawn before a decision: ${held.withdrawnReason ?? 'its subject ended'}`,
    };
  if (held.status !== 'open') return { kind: 'refuse', code: 'conflict', reason: `the case was already ${held.status}` };
  const publications = held.payments.map((payment) => {
    const decided: ComplianceCaseDecided = {
      caseId: held.caseId,
      paymentId: payment.paymentId,
      debtorAccount: held.debtorAccount,
      stage: held.stage,
      decision: officer.decision === 'approve' ? 'APPROVE' : 'REJECT',
      reason: officer.reason,
      decidedBy: officer.officerKeyId,
    };
    const events: NewEvent[] = [
      {
        topic: PaymentTopics.caseDecided,
        eventType: PaymentEventTypes[PaymentTopics.caseDecided],
        key: held.debtorAccount,
        payload: decided,
      },
    ];
    if (officer.decision === 'approve') {
      events.push(payment.onApprove);
    } else if (payment.onReject) {
      events.push(payment.onReject);
    } else {
      const rejected: PaymentRejected = {
        paymentId: payment.paymentId,
        debtorAccount: held.debtorAccount,
        reasonCode: PaymentReasonCodes.COMPLIANCE_REJECTED,
        reason: `rejected by a compliance officer: ${officer.reason}`,
      };
      events.push({
        topic: PaymentTopics.rejected,
        eventType: PaymentEventTypes[PaymentTopics.rejected],
        key: held.debtorAccount,
        payload: rejected,
      });
    }
    return { correlationId: payment.correlationId, events };
  });
  return { kind: 'decide', status: officer.decision === 'approve' ? 'approved' : 'rejected', publications };
}
