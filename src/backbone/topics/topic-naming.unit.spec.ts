import { describe, expect, it } from 'vitest';
import { BackboneError } from '../errors.ts';
import { assertTopicName, deadLetterTopicOf, formatDelay, retryTopicOf } from './topic-naming.ts';

describe('topic naming', () => {
  it.each([
    [1_000, '1s'],
    [5_000, '5s'],
    [30_000, '30s'],
    [90_000, '90s'],
    [120_000, '2m'],
    [3_600_000, '1h'],
    [1_500, '1500ms'],
  ])('formats a %d ms delay as %s', (delayMs, expected) => {
    expect(formatDelay(delayMs)).toBe(expected);
  });

  it.each([0, -1_000, 1.5, Number.NaN])('refuses a %d ms delay', (delayMs) => {
    expect(() => formatDelay(delayMs)).toThrow(BackboneError);
  });

  it('derives retry and dead-letter names from the topic', () => {
    expect(retryTopicOf('payments.submitted.v1', 30_000)).toBe('payments.submitted.v1.retry.30s');
    expect(retryTopicOf('payments.submitted.v1', 120_000)).toBe('payments.submitted.v1.retry.2m');
    expect(deadLetterTopicOf('payments.submitted.v1')).toBe('payments.submitted.v1.dlq');
  });

  it.each(['payments.submitted.v1', 'rtgs.settled.v12', 'loan-applications.kyc-passed.v2'])('accepts %s', (name) => {
    expect(() => assertTopicName(name)).not.toThrow();
  });

  it.each([
    'payments.submitted',
    'payments.submitted.v0',
    'Payments.submitted.v1',
    'payments_submitted.v1',
    'payments.submitted.v1.dlq',
    'payments..v1',
    'payments.-submitted.v1',
    'payments.submitted.V1',
  ])('rejects %s with INVALID_OPTIONS', (name) => {
    expect(() => assertTopicName(name)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});
