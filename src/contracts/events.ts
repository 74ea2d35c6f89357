import type { PaymentOrder, SettlementRoute } from './payment.ts';

/**
 * The payload of every payment event, per topic. The envelope (eventId, correlationId, causationId,
 * occurredAt, traceparent, key) travels in headers; see `src/backbone/envelope/`. The Avro schemas
 * in `schemas.ts` are the wire contract; these types are how TypeScript sees a decoded payload.
 */
export interface PaymentSubmitted {
  payment: PaymentOrder;
}

export interface PaymentValidated {
  payment: PaymentOrder;
}

export interface PaymentRejected {
  paymentId: string;
  debtorAccount: string;
  reasonCode: string;
  reason: string;
}

/** Funds are held on the debtor account (a reservation, not yet a posting). */
export interface PaymentReserved {
  payment: PaymentOrder;
  route: SettlementRoute;
}

export interface RtgsSubmitted {
  paymentId: string;
  uetr: string;
  debtorAccount: string;
  /** The pacs.008 message id (GrpHdr/MsgId). */
  messageId: string;
}

export interface RtgsSettled {
  paymentId: string;
  uetr: string;
  debtorAccount: string;
  /** ISO date of the interbank settlement. */
  settlementDate: string;
}

export interface RtgsRejected {
  paymentId: string;
  uetr: string;
  debtorAccount: string;
  /** ISO 20022 ExternalStatusReason1Code from the pacs.002 (e.g. AC01, AM04), or NARR. */
  reasonCode: string;
  reason: string;
}

export interface PaymentCompleted {
  paymentId: string;
  uetr: string;
  debtorAccount: string;
  amountMinor: bigint;
  currency: string;
  route: SettlementRoute;
}

export interface PaymentFailed {
  paymentId: string;
  debtorAccount: string;
  amountMinor: bigint;
  currency: string;
  reasonCode: string;
  reason: string;
}

/** Both parties were screened and passed (or a compliance officer released the payment). */
export interface PaymentInitiated {
  payment: PaymentOrder;
  /** `<debtor country ISO3>-<creditor country ISO3>`, e.g. `ZWE-ZAF`. */
  corridorCode: string;
  screeningDecisionId: string;
  /** The version of every list the decision used. */
  listVersions: string[];
  /** True when the amount was above the currency's Travel Rule threshold (originator/beneficiary information checked). */
  travelRuleApplied: boolean;
}

export interface PaymentBlocked {
  paymentId: string;
  debtorAccount: string;
  amountMinor: bigint;
  currency: string;
  reasonCode: string;
  reason: string;
  screeningDecisionId: string;
}

export interface PaymentHeldForReview {
  paymentId: string;
  debtorAccount: string;
  caseId: string;
  stage: 'SCREENING' | 'FRAUD';
  reason: string;
}

export interface ScoreReason {
  rule: string;
  /** Points this rule added to the score. */
  points: number;
  detail: string;
}

export interface PaymentScored {
  payment: PaymentOrder;
  corridorCode: string;
  /** 0–100. */
  score: number;
  reasons: ScoreReason[];
  decision: 'PASS' | 'REVIEW';
}

/** Cleared for the ledger: scored below the review threshold, or released by an officer. */
export interface PaymentCleared {
  payment: PaymentOrder;
  corridorCode: string;
  /** `fraud-scoring`, or `case:<caseId>` when an officer released it. */
  clearedBy: string;
}

export interface SanctionsMatchEvidence {
  list: string;
  listVersion: string;
  entryId: string;
  matchedName: string;
  program: string;
  /** Similarity in basis points (0–10000): scores are kept exact on the wire. */
  scoreBp: number;
}

export interface AmlAlertRaised {
  alertId: string;
  paymentId: string;
  debtorAccount: string;
  party: 'DEBTOR' | 'CREDITOR';
  band: 'HIGH' | 'MEDIUM' | 'LOW';
  matches: SanctionsMatchEvidence[];
}

/** A compliance officer's decision on a held payment, kept for the audit trail. */
export interface ComplianceCaseDecided {
  caseId: string;
  paymentId: string;
  debtorAccount: string;
  stage: 'SCREENING' | 'FRAUD';
  decision: 'APPROVE' | 'REJECT';
  reason: string;
  /** The API key id of the officer who decided. */
  decidedBy: string;
}
