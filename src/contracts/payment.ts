/**
 * A payment order as it travels on the events: what the customer asked for, validated at the API,
 * with amounts in minor units. Every payment event is keyed by `debtor.account`, so all events of
 * one account stay in order on one partition (the ledger relies on it).
 */
export interface PaymentOrder {
  paymentId: string;
  /** SWIFT gpi Unique End-to-end Transaction Reference (UUIDv4): the RTGS idempotency key. */
  uetr: string;
  endToEndId: string;
  amountMinor: bigint;
  currency: string;
  debtor: Party;
  creditor: Party;
  remittanceInformation: string | null;
  /** ISO 8601, when the API accepted the payment. */
  receivedAt: string;
}

export interface Party {
  name: string;
  /** IBAN for the debtor (an account of this bank); IBAN or other account number for the creditor. */
  account: string;
  /** BIC of the party's bank. */
  agent: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string | null;
  /** ISO 20022 PostalAddress24 (subset), for screening and the Travel Rule. */
  postalAddress?: PostalAddress | null;
  /** ISO 8601 date, for natural persons. */
  dateOfBirth?: string | null;
  placeOfBirth?: { city: string; country: string } | null;
  /** A national identifier (passport, national id, tax id) with its issuing country. */
  nationalId?: { id: string; scheme: string; issuer: string | null } | null;
}

export interface PostalAddress {
  streetName: string | null;
  buildingNumber: string | null;
  postCode: string | null;
  townName: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** Where a reserved payment settles: between two accounts of this bank, or over the RTGS network. */
export type SettlementRoute = 'INTERNAL' | 'RTGS';

export const PaymentStatuses = {
  RECEIVED: 'RECEIVED',
  VALIDATED: 'VALIDATED',
  RESERVED: 'RESERVED',
  SUBMITTED: 'SUBMITTED',
  COMPLETED: 'COMPLETED',
  REJECTED: 'REJECTED',
  FAILED: 'FAILED',
  BLOCKED: 'BLOCKED',
  HELD_FOR_REVIEW: 'HELD_FOR_REVIEW',
} as const;
export type PaymentStatus = (typeof PaymentStatuses)[keyof typeof PaymentStatuses];

export const terminalStatuses: ReadonlySet<PaymentStatus> = new Set(['COMPLETED', 'REJECTED', 'FAILED', 'BLOCKED']);

/** Why a payment was rejected or failed: a closed list, carried on the events and shown by the API. */
export const PaymentReasonCodes = {
  DEBTOR_ACCOUNT_NOT_FOUND: 'DEBTOR_ACCOUNT_NOT_FOUND',
  DEBTOR_ACCOUNT_CLOSED: 'DEBTOR_ACCOUNT_CLOSED',
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  AMOUNT_ABOVE_LIMIT: 'AMOUNT_ABOVE_LIMIT',
  CREDITOR_ACCOUNT_INVALID: 'CREDITOR_ACCOUNT_INVALID',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  RTGS_REJECTED: 'RTGS_REJECTED',
  RTGS_UNREACHABLE: 'RTGS_UNREACHABLE',
  SANCTIONS_HIT: 'SANCTIONS_HIT',
  TRAVEL_RULE_MISSING_INFORMATION: 'TRAVEL_RULE_MISSING_INFORMATION',
  SCREENING_UNAVAILABLE: 'SCREENING_UNAVAILABLE',
  COMPLIANCE_REJECTED: 'COMPLIANCE_REJECTED',
} as const;
export type PaymentReasonCode = (typeof PaymentReasonCodes)[keyof typeof PaymentReasonCodes];
