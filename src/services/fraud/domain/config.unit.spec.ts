import { describe, expect, it } from 'vitest';
import { BackboneError } from '../../../backbone/errors.ts';
import { defaultFraudRulesConfig, resolveFraudRulesConfig, type FraudRulesConfigInput } from './config.ts';

describe('fraud rules configuration', () => {
  it('fills the defaults', () => {
    expect(resolveFraudRulesConfig()).toEqual(defaultFraudRulesConfig);
    expect(resolveFraudRulesConfig()).toMatchObject({
      reviewThreshold: 60,
      velocityCount: { weight: 60, windowMs: 600_000, minPayments: 20, baselineMultiple: 3, baselineDays: 35 },
      velocityAmount: { weight: 40, windowMs: 86_400_000, maxAmountMinorByCurrency: { EUR: 1_000_000n } },
      amountVsHistory: { weight: 40, multiple: 5, minHistory: 5, historySize: 50 },
      newBeneficiary: { weight: 20, maxKnown: 500 },
      highRiskCorridor: { weight: 30, corridors: [] },
      unusualHour: { weight: 10, fromHourUtc: 0, toHourUtc: 5 },
      maxTrackedPayments: 500,
    });
  });

  it('merges a rule section over its default, and replaces maps and lists whole', () => {
    const config = resolveFraudRulesConfig({
      velocityCount: { minPayments: 10 },
      velocityAmount: { maxAmountMinorByCurrency: { ZAR: 50_000_00n } },
      highRiskCorridor: { countries: [] },
    });
    expect(config.velocityCount).toEqual({ weight: 60, windowMs: 600_000, minPayments: 10, baselineMultiple: 3, baselineDays: 35 });
    expect(config.velocityAmount.maxAmountMinorByCurrency).toEqual({ ZAR: 50_000_00n });
    expect(config.highRiskCorridor).toEqual({ weight: 30, corridors: [], countries: [] });
  });

  it.each<[FraudRulesConfigInput, RegExp]>([
    [{ reviewThreshold: 0 }, /reviewThreshold/],
    [{ reviewThreshold: 101 }, /reviewThreshold/],
    [{ velocityCount: { weight: 12.5 } }, /velocityCount.weight/],
    [{ unusualHour: { weight: -1 } }, /unusualHour.weight/],
    [{ velocityCount: { windowMs: 0 } }, /velocityCount.windowMs/],
    [{ velocityCount: { minPayments: 0 } }, /velocityCount.minPayments/],
    [{ velocityCount: { baselineMultiple: 0.5 } }, /velocityCount.baselineMultiple/],
    [{ velocityCount: { baselineDays: 0 } }, /velocityCount.baselineDays/],
    // An operator's FRAUD_RULES from before the baseline: refused by name rather than ignored.
    [{ velocityCount: { maxPayments: 10 } as FraudRulesConfigInput['velocityCount'] }, /maxPayments was replaced by minPayments/],
    [{ velocityAmount: { maxAmountMinorByCurrency: { euro: 1n } } }, /not an ISO 4217 code/],
    [{ velocityAmount: { maxAmountMinorByCurrency: { EUR: 1000 as unknown as bigint } } }, /positive bigint/],
    [{ amountVsHistory: { multiple: 0.5 } }, /multiple/],
    [{ amountVsHistory: { multiple: 2.555 } }, /multiple/],
    [{ amountVsHistory: { minHistory: 60 } }, /minHistory must not exceed/],
    [{ highRiskCorridor: { corridors: ['ZW-ZA'] } }, /corridors/],
    [{ highRiskCorridor: { countries: ['IR'] } }, /alpha-3/],
    [{ unusualHour: { fromHourUtc: 24 } }, /fromHourUtc/],
    [{ unusualHour: { fromHourUtc: 3, toHourUtc: 3 } }, /must differ/],
    [{ maxTrackedPayments: 10 }, /maxTrackedPayments must be at least/],
  ])('refuses %o at construction', (input, message) => {
    expect(() => resolveFraudRulesConfig(input)).toThrow(BackboneError);
    expect(() => resolveFraudRulesConfig(input)).toThrow(message);
  });
});
