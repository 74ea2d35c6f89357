import { describe, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { decideFraud, defaultFraudCheckOptions } from './domain.ts';

const fraud = decisionSpec((options: typeof defaultFraudCheckOptions, order: { amountMinor: bigint }) => decideFraud(order, options));

describe('the fraud check decides', () => {
  it('to clear an order up to the ceiling, scoring it by its share of it', () => {
    fraud.given(defaultFraudCheckOptions).when({ amountMinor: 250_000n }).then({ detected: false, score: 40 });
    fraud.given(defaultFraudCheckOptions).when({ amountMinor: 500_000n }).then({ detected: false, score: 80 });
  });
  it('to detect an order above the ceiling', () => {
    fraud.given(defaultFraudCheckOptions).when({ amountMinor: 500_001n }).thenMatches({ detected: true, rule: 'amount-above-ceiling' });
    fraud
      .given({ maxAmountMinor: 100n, maxScore: 80 })
      .when({ amountMinor: 1_000_000n })
      .then({ detected: true, score: 100, rule: 'amount-above-ceiling' });
  });
});
