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
