import { createHash } from 'node:crypto';

/**
 * The audit log's hash chain, as pure functions: what an entry is, how its hash is computed, and
 * where a payment id is found in a payload. `append.ts` and `verify.ts` are the I/O around it.
 *
 * Each entry's hash covers its sequence, the previous entry's hash and every recorded field, so
 * changing, removing or reordering any entry breaks every hash after it; the chain head (the last
 * sequence and hash, kept in `audit_chain_head`) also catches a removed tail.
 */
export interface AuditEntry {
  /** 1, 2, 3, … with no gaps: the one total order of everything audited. */
  sequence: bigint;
  eventId: string;
  topic: string;
  eventType: string;
  schemaVersion: number;
  /** The event's partition key (for payments, the debtor account). */
  key: string;
  correlationId: string;
  causationId: string | null;
  /** As the envelope said it, verbatim: the audit records what was claimed, not a reparse. */
  occurredAt: string;
  /** When this entry was appended (millisecond precision, so it survives the database round trip). */
  recordedAt: Date;
  /** Derived from the payload (`paymentId` or `payment.paymentId`), for look-ups; hashed too. */
  paymentId: string | null;
  /** The payload as canonical JSON (`canonicalJson`), exactly the text that was hashed. */
  payloadJson: string;
  prevHash: string;
  /** Lower-case hex SHA-256 of `canonicalEntry(entry)`. */
  hash: string;
}

/** The `prevHash` of sequence 1. */
export const genesisHash = '0'.repeat(64);

/** Names the serialization below; a future change of it gets a new tag, never a silent edit. */
export const chainFormat = 'paystream-audit-v1';

/**
 * The bytes an entry's hash is computed over: a JSON array of the fields in a fixed order. Each
 * field is a JSON string, number or null, so the text is unambiguous (no field can run into the
 * next) and the same in every JavaScript engine.
 */
export function canonicalEntry(entry: Omit<AuditEntry, 'hash'>): string {
  return JSON.stringify([
    chainFormat,
    entry.sequence.toString(),
    entry.prevHash,
    entry.eventId,
    entry.topic,
    entry.eventType,
    entry.schemaVersion,
    entry.key,
    entry.correlationId,
    entry.causationId,
    entry.occurredAt,
    entry.recordedAt.toISOString(),
    entry.paymentId,
    entry.payloadJson,
  ]);
}

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonicalEntry(entry), 'utf8').digest('hex');
}

/** The payment a payload is about: `paymentId` at the top level or under `payment`. */
export function paymentIdOf(payload: unknown): string | null {
  if (!isRecord(payload)) return null;
  if (typeof payload.paymentId === 'string') return payload.paymentId;
  const payment = payload.payment;
  return isRecord(payment) && typeof payment.paymentId === 'string' ? payment.paymentId : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
