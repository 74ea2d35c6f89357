import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a webhook's signature travels in: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const signatureHeader = 'paystream-signature';
/** The event's id, the same on every attempt: receivers deduplicate on it. */
export const eventIdHeader = 'paystream-event-id';

/**
 * The signature of a webhook body: HMAC-SHA256 with the subscription's secret over
 * `"<t>.<body>"`, where `t` is the sending time in unix seconds and `body` the exact bytes sent.
 * Signing the time with the body lets a receiver refuse a replayed request (see
 * `verifyWebhookSignature`); a new attempt is signed again with its own time.
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${digest}`;
}

export interface WebhookSignatureCheck {
  /** The `Paystream-Signature` header as received. */
  header: string;
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string;
  secret: string;
  /** The receiver's clock. */
  nowMs: number;
  /** How old (or how far in the future) `t` may be. Default 300 (five minutes). */
  toleranceSeconds?: number;
}

/**
 * What a receiver does with a request, as reference code (docs/notifications.md): recompute the
 * HMAC over `"<t>.<body>"`, compare in constant time with any `v1` in the header (there may be
 * several while a secret is rotated), and refuse a `t` outside the tolerance.
 */
export function verifyWebhookSignature(
  check: WebhookSignatureCheck,
): { ok: true } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' } {
  const parts = check.header.split(',').map((part) => part.trim().split('='));
  const timestamp = parts.find(([name]) => name === 't')?.[1];
  const signatures = parts
    .filter(([name, value]) => name === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value))
    .map(([, value]) => value!);
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const ageSeconds = Math.abs(check.nowMs / 1000 - Number(timestamp));
  if (ageSeconds > (check.toleranceSeconds ?? 300)) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signWebhook(check.secret, Number(timestamp), check.body).split('v1=')[1]!, 'hex');
  const matches = signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
  return matches ? { ok: true } : { ok: false, reason: 'mismatch' };
}
