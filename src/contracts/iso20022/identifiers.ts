import { createHash } from 'node:crypto';

/** ISO 20022 `Max35Text` identifiers are at most 35 characters. */
export const max35 = 35;

/**
 * A paystream identifier as an ISO 20022 `Max35Text`: as it is when it fits, a UUID without its
 * hyphens (32 characters), anything longer as the first 32 hex digits of its SHA-256. The result
 * is deterministic, so a resent message carries the same references.
 */
export function max35Id(id: string): string {
  if (id.length <= max35) return id;
  if (uuidPattern.test(id)) return id.replaceAll('-', '');
  return createHash('sha256').update(id).digest('hex').slice(0, 32);
}

/** Whether `uetr` is the UUIDv4 (lower case) that ISO 20022 `UUIDv4Identifier` accepts. */
export function isUetr(uetr: string): boolean {
  return uetrPattern.test(uetr);
}

/** The BIC pattern of `BICFIDec2014Identifier`. */
export function isBic(bic: string): boolean {
  return /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bic);
}

const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const uetrPattern = /^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/;
