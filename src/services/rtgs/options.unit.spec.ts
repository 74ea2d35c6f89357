import { describe, expect, it } from 'vitest';
import { BackboneError } from '../../backbone/errors.ts';
import { resolveRtgsGatewayOptions, type RtgsGatewayOptions } from './options.ts';
import { invalidElements } from './handlers.ts';

const required: RtgsGatewayOptions = {
  networkUrl: 'http://127.0.0.1:4100',
  callbackToken: 'a-token-of-16-chars!',
  instructingAgentBic: 'PSTRDEFFXXX',
  instructedAgentBic: 'RTGSDEFF',
};

describe('RTGS gateway options', () => {
  it('fills the defaults', () => {
    expect(resolveRtgsGatewayOptions(required)).toMatchObject({
      inputTopic: 'payments.reserved.v1',
      timeoutMs: 5_000,
      callbackPath: '/rtgs/v1/pacs002',
      validateOutgoing: true,
      circuitBreaker: { errorThresholdPercentage: 50 },
      statusChaser: { firstCheckAfterMs: 10_000 },
    });
  });

  it.each([
    [{ networkUrl: 'ftp://x' }, /networkUrl/],
    [{ callbackToken: 'short' }, /callbackToken/],
    [{ instructingAgentBic: 'not a bic' }, /instructingAgentBic/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ statusChaser: { recheckIntervalMs: -1 } }, /statusChaser.recheckIntervalMs/],
    [{ circuitBreaker: { errorThresholdPercentage: 0 } }, /errorThresholdPercentage/],
  ])('refuses %o at construction', (override, message) => {
    expect(() => resolveRtgsGatewayOptions({ ...required, ...override } as RtgsGatewayOptions)).toThrow(BackboneError);
    expect(() => resolveRtgsGatewayOptions({ ...required, ...override } as RtgsGatewayOptions)).toThrow(message);
  });
});

describe('invalidElements', () => {
  it('names the elements libxml2 complains about, never the values it quotes', () => {
    const errors = [
      "element Nm: Schemas validity error : Element '{urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08}Nm': [facet 'maxLength'] The value 'Ada Lovelace ...' has a length of 141",
    ];
    expect(invalidElements(errors)).toBe('Nm');
  });
});
