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
} as const;
export type PaymentStatus = (typeof PaymentStatuses)[keyof typeof PaymentStatuses];

export const terminalStatuses: ReadonlySet<PaymentStatus> = new Set(['COMPLETED', 'REJECTED', 'FAILED']);

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
} as const;
export type PaymentReasonCode = (typeof PaymentReasonCodes)[keyof typeof PaymentReasonCodes];
