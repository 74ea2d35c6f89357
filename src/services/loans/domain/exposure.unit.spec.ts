import { describe, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { decideExposure, type ExposureState } from './exposure.ts';

const limits = { maxCustomerExposureMinor: 1_000_000n, maxTotalExposureMinor: 5_000_000n };
const exposure = decisionSpec((state: ExposureState, amountMinor: bigint) => decideExposure(state, amountMinor, limits));

describe('the exposure limits', () => {
  it('records a loan within both limits, up to each limit exactly', () => {
    exposure.given({ customerExposureMinor: 0n, totalExposureMinor: 0n }).when(500_000n).then({ kind: 'record' });
    exposure.given({ customerExposureMinor: 500_000n, totalExposureMinor: 4_500_000n }).when(500_000n).then({ kind: 'record' });
  });

  it("refuses a loan over the customer's limit", () => {
    exposure
      .given({ customerExposureMinor: 500_000n, totalExposureMinor: 500_000n })
      .when(600_000n)
      .then({ kind: 'refuse', reason: 'the customer exposure limit would be exceeded' });
  });

  it('refuses a loan over the total limit', () => {
    exposure
      .given({ customerExposureMinor: 0n, totalExposureMinor: 4_900_000n })
      .when(200_000n)
      .then({ kind: 'refuse', reason: 'the total exposure limit would be exceeded' });
  });
});
