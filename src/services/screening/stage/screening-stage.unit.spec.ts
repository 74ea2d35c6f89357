import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { systemClock, uuidV7Ids } from '../../../backbone/clock/clock.ts';
import { handleInTransaction, type ConsumedEvent, type EmittedEvent } from '../../../backbone/consumer/handler.ts';
import type { ConsumerOptions } from '../../../backbone/consumer/consumer-runner.ts';
import { BackboneError } from '../../../backbone/errors.ts';
import { migrate } from '../../../backbone/storage/migrate.ts';
import { embeddedFixture, type BackboneFixture } from '../../../backbone/testing/embedded-fixture.ts';
import type { PaymentOrder } from '../../../contracts/payment.ts';
import type { PaymentValidated } from '../../../contracts/events.ts';
import { PaymentTopics } from '../../../contracts/topics.ts';
import { complianceCaseMigrations, fromJsonValue } from '../../compliance-cases/index.ts';
import type { NewEvent } from '../../../backbone/envelope/event-encoder.ts';
import { requireNoScope } from './testing-scope.ts';
import {
  checkTravelRule,
  corridorOf,
  createScreeningService,
  decideScreening,
  resolveScreeningStageOptions,
  screeningDecisionsTable,
  travelRuleReason,
  type ScreeningService,
} from './index.ts';
import type { ScreeningResult } from '../model.ts';

// A two-entry OFAC file in the published format: "Dmitri Volkov" is MEDIUM against the first
// entry (a dropped middle name), "Kaspar Trading" HIGH against the second.
const sdnCsv = new TextEncoder().encode(
  '101,"VOLKOV, Dmitri Ivanovich","individual","RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 12 Mar 1971; nationality Russia."\r\n' +
    '102,"KASPAR TRADING LLC",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\x1a',
);
const thresholds = resolveScreeningStageOptions({
  sources: [{ kind: 'ofac-sdn-csv', sdnPath: '/lists/sdn.csv' }],
}).travelRuleThresholdMinor;

function order(overrides: Partial<PaymentOrder> = {}): PaymentOrder {
  return {
    paymentId: 'pay-1',
    uetr: '8a562c67-ca16-48ba-b074-65581be6f011',
    endToEndId: 'e2e-1',
    amountMinor: 100_00n,
    currency: 'EUR',
    debtor: { name: 'Ada Debtor', account: 'DE89370400440532013000', agent: null, country: null },
    creditor: { name: 'Bob Creditor', account: 'FR1420041010050500013M02606', agent: 'BNPAFRPPXXX', country: 'FR' },
    remittanceInformation: null,
    receivedAt: '2025-03-12T10:00:00.000Z',
    ...overrides,
  };
}

describe('corridorOf', () => {
  it('uses the countries given, else the debtor IBAN, else the creditor IBAN or BIC', () => {
    expect(corridorOf(order()).code).toBe('DEU-FRA');
    expect(corridorOf(order({ debtor: { ...order().debtor, country: 'ZW' }, creditor: { ...order().creditor, country: 'ZA' } })).code).toBe(
      'ZWE-ZAF',
    );
    expect(corridorOf(order({ creditor: { name: 'X', account: '12345678', agent: 'SBZAZAJJXXX', country: null } })).code).toBe('DEU-ZAF');
    expect(corridorOf(order({ creditor: { name: 'X', account: '12345678', agent: null, country: null } })).code).toBe('DEU-XXX');
  });
});

describe('the Travel Rule', () => {
  const complete = { postalAddress: { streetName: 'Main St', buildingNumber: '1', postCode: '10115', townName: 'Berlin', country: 'DE' } };
  it('applies above the currency threshold only: USD 3,000, EUR 1,000, SGD 1,500, others the default', () => {
    expect(checkTravelRule(order({ amountMinor: 1000_00n }), thresholds).applied).toBe(false);
    expect(checkTravelRule(order({ amountMinor: 1000_01n }), thresholds).applied).toBe(true);
    expect(checkTravelRule(order({ currency: 'USD', amountMinor: 2999_99n }), thresholds).applied).toBe(false);
    expect(checkTravelRule(order({ currency: 'SGD', amountMinor: 1500_01n }), thresholds).applied).toBe(true);
    expect(thresholds('JPY')).toBe(1000n);
    expect(thresholds('GBP')).toBe(1000_00n);
  });

  it('names what is missing, per party, in the reason', () => {
    const payment = order({
      amountMinor: 1500_00n,
      debtor: { ...order().debtor, ...complete },
      creditor: { ...order().creditor, dateOfBirth: '1980-02-01' },
    });
    const result = checkTravelRule(payment, thresholds);
    expect(result.missing).toEqual([
      'creditor: a postal address, a national id, or a date and place of birth (a date of birth without a place of birth is not enough)',
    ]);
    expect(travelRuleReason(payment, result)).toBe(
      'Travel Rule: EUR 1500.00 is above EUR 1000.00, and the payment lacks originator/beneficiary information: creditor: a postal address, a national id, or a date and place of birth (a date of birth without a place of birth is not enough)',
    );
  });

  it('accepts an address, a national id, or a date and place of birth', () => {
    const creditors = [
      complete,
      { nationalId: { id: 'X123', scheme: 'PASSPORT', issuer: 'FR' } },
      { dateOfBirth: '1980-02-01', placeOfBirth: { city: 'Lyon', country: 'FR' } },
    ];
    for (const details of creditors) {
      expect(
        checkTravelRule(
          order({ amountMinor: 1500_00n, debtor: { ...order().debtor, ...complete }, creditor: { ...order().creditor, ...details } }),
          thresholds,
        ).missing,
      ).toEqual([]);
    }
  });
});

describe('decideScreening', () => {
  const result = (band: ScreeningResult['band']): ScreeningResult => ({
    band,
    score: 0,
    pep: false,
    matches: [],
    suppressed: [],
    listVersions: [],
  });
  const missing = { applied: true, thresholdMinor: 1000_00n, missing: ['creditor: an address'] };
  const met = { applied: false, thresholdMinor: 1000_00n, missing: [] };
  it('blocks on HIGH before anything else, rejects a Travel Rule breach before holding, holds MEDIUM, passes LOW', () => {
    expect(
      decideScreening({ debtor: result('LOW'), creditor: result('HIGH'), travelRule: missing, travelRuleReason: () => 'tr' }),
    ).toMatchObject({ outcome: 'BLOCK', flaggedParties: ['CREDITOR'] });
    expect(
      decideScreening({ debtor: result('MEDIUM'), creditor: result('LOW'), travelRule: missing, travelRuleReason: () => 'tr' }),
    ).toMatchObject({ outcome: 'REJECT', reason: 'tr' });
    expect(
      decideScreening({ debtor: result('MEDIUM'), creditor: result('HIGH'), travelRule: met, travelRuleReason: () => 'tr' }),
    ).toMatchObject({ outcome: 'BLOCK', flaggedParties: ['DEBTOR', 'CREDITOR'] });
    expect(
      decideScreening({ debtor: result('MEDIUM'), creditor: result('LOW'), travelRule: met, travelRuleReason: () => 'tr' }),
    ).toMatchObject({ outcome: 'HOLD', flaggedParties: ['DEBTOR'] });
    expect(decideScreening({ debtor: result('LOW'), creditor: result('LOW'), travelRule: met, travelRuleReason: () => 'tr' }).outcome).toBe(
      'PASS',
    );
  });
});

describe('resolveScreeningStageOptions', () => {
  const sources = [{ kind: 'ofac-sdn-csv', sdnPath: '/lists/sdn.csv' }] as const;
  it('lets a corridor rule make screening stricter, never looser, and only with lists that exist', () => {
    const resolved = resolveScreeningStageOptions({ sources, corridorRules: { 'ZWE-ZAF': { thresholds: { medium: 0.8, report: 0.7 } } } });
    expect(resolved.ruleFor('ZWE-ZAF').options.thresholds).toMatchObject({ high: 0.93, medium: 0.8 });
    expect(resolved.ruleFor('DEU-FRA').options.thresholds.medium).toBe(0.86);
    expect(() => resolveScreeningStageOptions({ sources, corridorRules: { 'ZWE-ZAF': { thresholds: { high: 0.97 } } } })).toThrow(/looser/);
    expect(() => resolveScreeningStageOptions({ sources, corridorRules: { 'ZWE-ZAF': { extraLists: ['PEP-ZW'] } } })).toThrow(
      /no extra list "PEP-ZW"/,
    );
    expect(() => resolveScreeningStageOptions({ sources, corridorRules: { zwe: {} } })).toThrow(/not a corridor code/);
    expect(() => resolveScreeningStageOptions({ sources, travelRule: { thresholds: { EUR: '1000.001' } } })).toThrow(
      /travelRule.thresholds.EUR/,
    );
  });
});

/**
 * The handler on PGlite in memory with the two-entry list: decisions are recorded with their
 * evidence, and while the lists are not loaded it fails transiently, then fails the payment.
 */
describe('the screening handler', () => {
  let fixture: BackboneFixture;
  let service: ScreeningService;
  let listsDown: ScreeningService;
  const files = new Map([['/lists/sdn.csv', sdnCsv]]);
  const deps = () => ({
    db: fixture.db,
    publisher: { publish: async () => {}, publishEach: async () => {} },
    clock: systemClock,
    ids: uuidV7Ids,
    logger: pino({ level: 'silent' }),
    metricsRegistry: registry,
  });
  const registry = new Registry();
  const options = {
    requireScope: requireNoScope,
    sources: [{ kind: 'ofac-sdn-csv', sdnPath: '/lists/sdn.csv' }] as const,
    retryDelaysMs: [10, 10],
  };

  beforeAll(async () => {
    fixture = await embeddedFixture();
    service = createScreeningService(deps(), {
      ...options,
      readFile: async (path) => files.get(path)!,
      stat: async () => ({ mtimeMs: 1, size: 1 }),
    });
    listsDown = createScreeningService(deps(), {
      ...options,
      readFile: async (path) => Promise.reject(new Error(`ENOENT ${path}`)),
      listLoadRetryDelayMs: 60_000,
    });
    await migrate(fixture.db, 'compliance-cases', complianceCaseMigrations);
    await migrate(fixture.db, service.name, service.migrations);
    await service.workers![0]!.start();
    await listsDown.workers![0]!.start();
    while (!service.lists.ready) await new Promise((resolve) => setTimeout(resolve, 5));
  });
  afterAll(async () => {
    await service?.workers![0]!.stop();
    await listsDown?.workers![0]!.stop();
    await fixture?.close();
  });

  async function handle(consumer: ConsumerOptions, payment: PaymentOrder, attempt = 0): Promise<EmittedEvent[]> {
    const envelope = {
      eventId: `ev-${payment.paymentId}-${attempt}`,
      eventType: 'PaymentValidated',
      schemaVersion: 1,
      occurredAt: payment.receivedAt,
      correlationId: `flow-${payment.paymentId}`,
      causationId: null,
      key: payment.debtor.account,
      traceparent: '',
    };
    const event: ConsumedEvent<PaymentValidated> = {
      envelope,
      payload: { payment },
      topic: PaymentTopics.validated,
      partition: 0,
      offset: 0n,
      attempt,
    };
    return handleInTransaction(fixture.db, consumer, event);
  }
  const decision = async (paymentId: string) =>
    (await fixture.db.query<Record<string, unknown>>(`select * from screening_decisions where payment_id = $1`, [paymentId])).rows[0];
  const handler = () => service.consumers[0]!;

  it('passes LOW parties on to payments.initiated with corridor, decision id and list versions, once', async () => {
    const emitted = await handle(handler(), order({ paymentId: 'pass-1' }));
    expect(emitted.map((event) => event.topic)).toEqual([PaymentTopics.initiated]);
    const row = await decision('pass-1');
    expect(row).toMatchObject({ outcome: 'PASS', debtor_band: 'LOW', creditor_band: 'LOW', corridor_code: 'DEU-FRA' });
    expect(emitted[0]!.payload).toMatchObject({
      corridorCode: 'DEU-FRA',
      screeningDecisionId: row!.decision_id,
      travelRuleApplied: false,
      listVersions: [expect.stringMatching(/^OFAC-SDN:[0-9a-f]{64}$/)],
    });
    expect(await handle(handler(), order({ paymentId: 'pass-1' }), 1)).toEqual([]);
    expect(await screeningDecisionsTable.paymentIdsWithDecision(fixture.db, ['pass-1', 'unknown'])).toEqual(new Set(['pass-1']));
  });

  it("observes each decision's latency from the payment's validation, per outcome, once", async () => {
    const latency = async () =>
      (await registry.getSingleMetric('paystream_screening_latency_seconds')!.get()).values.filter(
        (value) => value.labels.outcome === 'PASS' && !('le' in value.labels),
      );
    const before = await latency();
    const validatedAt = new Date(Date.now() - 1_500).toISOString();
    await handle(handler(), order({ paymentId: 'latency-1', receivedAt: validatedAt }));
    await handle(handler(), order({ paymentId: 'latency-1', receivedAt: validatedAt }), 1); // decided before: nothing new
    const after = await latency();
    const total = (values: typeof before, name: string) =>
      values.find((value) => (value as { metricName?: string }).metricName === name)?.value ?? 0;
    expect(total(after, 'paystream_screening_latency_seconds_count') - total(before, 'paystream_screening_latency_seconds_count')).toBe(1);
    expect(
      total(after, 'paystream_screening_latency_seconds_sum') - total(before, 'paystream_screening_latency_seconds_sum'),
    ).toBeGreaterThanOrEqual(1.5);
  });

  it('blocks a HIGH creditor with an AML alert carrying the evidence in basis points', async () => {
    const emitted = await handle(handler(), order({ paymentId: 'block-1', creditor: { ...order().creditor, name: 'Kaspar Trading' } }));
    expect(emitted.map((event) => event.topic)).toEqual([PaymentTopics.blocked, PaymentTopics.amlAlertRaised]);
    expect(emitted[0]!.payload).toMatchObject({
      reasonCode: 'SANCTIONS_HIT',
      reason: expect.stringContaining('OFAC-SDN 102 "KASPAR TRADING LLC" (SDGT)'),
    });
    expect(emitted[1]!.payload).toMatchObject({
      party: 'CREDITOR',
      band: 'HIGH',
      matches: [{ list: 'OFAC-SDN', entryId: '102', scoreBp: 10_000 }],
    });
    const row = await decision('block-1');
    expect(row).toMatchObject({ outcome: 'BLOCK', creditor_band: 'HIGH' });
    expect((row!.creditor_evidence as ScreeningResult).matches[0]!.reasons[0]).toContain('kaspar≈kaspar');
  });

  it('holds a MEDIUM debtor in a SCREENING case whose approval releases payments.initiated', async () => {
    const emitted = await handle(handler(), order({ paymentId: 'hold-1', debtor: { ...order().debtor, name: 'Dmitri Volkov' } }));
    expect(emitted.map((event) => event.topic)).toEqual([PaymentTopics.held]);
    const cases = await fixture.db.query<{ stage: string; on_approve: unknown; evidence: { debtor: ScreeningResult } }>(
      `select * from compliance_cases where payment_id = 'hold-1'`,
    );
    expect(cases.rows[0]!.stage).toBe('SCREENING');
    expect(cases.rows[0]!.evidence.debtor.band).toBe('MEDIUM');
    const onApprove = fromJsonValue<NewEvent>(cases.rows[0]!.on_approve);
    expect(onApprove).toMatchObject({
      topic: PaymentTopics.initiated,
      payload: { payment: { paymentId: 'hold-1', amountMinor: 100_00n } },
    });
  });

  it('rejects a Travel Rule breach with the reason naming what is missing', async () => {
    const emitted = await handle(handler(), order({ paymentId: 'tr-1', amountMinor: 1500_00n }));
    expect(emitted.map((event) => event.topic)).toEqual([PaymentTopics.rejected]);
    expect(emitted[0]!.payload).toMatchObject({
      reasonCode: 'TRAVEL_RULE_MISSING_INFORMATION',
      reason: expect.stringContaining('debtor: a postal address, a national id, or a date and place of birth; creditor: a postal address'),
    });
  });

  it('fails closed: retries while the lists are not loaded, then fails the payment on the last attempt', async () => {
    const down = listsDown.consumers[0]!;
    const first = handle(down, order({ paymentId: 'down-1' }), 0);
    await expect(first).rejects.toBeInstanceOf(BackboneError);
    await expect(first).rejects.toMatchObject({ retryable: true });
    await expect(handle(down, order({ paymentId: 'down-1' }), 1)).rejects.toMatchObject({ retryable: true });
    const last = await handle(down, order({ paymentId: 'down-1' }), 2);
    expect(last.map((event) => event.topic)).toEqual([PaymentTopics.failed]);
    expect(last[0]!.payload).toMatchObject({ reasonCode: 'SCREENING_UNAVAILABLE' });
    expect(await decision('down-1')).toMatchObject({ outcome: 'UNAVAILABLE', debtor_band: null });
    expect(await screeningDecisionsTable.paymentIdsWithDecision(fixture.db, ['down-1'])).toEqual(new Set());
  });
});
