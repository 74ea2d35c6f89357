import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from './signature.ts';
import { afterFailedAttempt } from './retry-schedule.ts';
import { renderMessage } from './messages.ts';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"eventId":"e1"}';
  const nowMs = 1_700_000_000_000;

  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, 1_700_000_000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies a fresh signature and refuses a changed body, another secret, a stale time, garbage', () => {
    const header = signWebhook(secret, 1_700_000_000, body);
    expect(verifyWebhookSignature({ header, body, secret, nowMs })).toEqual({ ok: true });
    expect(verifyWebhookSignature({ header, body: `${body} `, secret, nowMs })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ header, body, secret: 'other', nowMs })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ header, body, secret, nowMs: nowMs + 301_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature({ header: 'v1=abc', body, secret, nowMs })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('accepts any matching v1 (secret rotation)', () => {
    const valid = signWebhook(secret, 1_700_000_000, body).split('v1=')[1]!;
    expect(verifyWebhookSignature({ header: `t=1700000000,v1=${'1'.repeat(64)},v1=${valid}`, body, secret, nowMs })).toEqual({ ok: true });
  });
});

describe('the retry schedule', () => {
  it('retries after each delay in turn, then dead-letters', () => {
    const delays = [1000, 5000];
    expect(afterFailedAttempt(1, delays, 0)).toEqual({ retryAtMs: 1000 });
    expect(afterFailedAttempt(2, delays, 10)).toEqual({ retryAtMs: 5010 });
    expect(afterFailedAttempt(3, delays, 10)).toBe('dead-letter');
  });
});

describe('message texts', () => {
  it('names the payment, the amount in the currency’s decimals, and the reason code; no account number', () => {
    const completed = renderMessage('PaymentCompleted', {
      paymentId: 'p1',
      debtorAccount: 'DE89370400440532013000',
      amountMinor: '125050',
      currency: 'EUR',
    });
    expect(completed).toEqual({ subject: 'Payment completed', text: 'Payment p1 of 1250.50 EUR has been completed.' });
    expect(renderMessage('PaymentRejected', { paymentId: 'p2', reasonCode: 'INSUFFICIENT_FUNDS' }).text).toBe(
      'Payment p2 was rejected (reason: INSUFFICIENT_FUNDS).',
    );
    expect(JSON.stringify(completed)).not.toContain('DE89');
  });
});
