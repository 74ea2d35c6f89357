import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { embeddedFixture, eventually, type BackboneFixture } from '../../backbone/testing/embedded-fixture.ts';
import { ConsumerRunner } from '../../backbone/consumer/consumer-runner.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { systemClock, uuidV7Ids, type Clock } from '../../backbone/clock/clock.ts';
import { JsonCodec } from '../../backbone/codec/json-codec.ts';
import { EventEncoder } from '../../backbone/envelope/event-encoder.ts';
import { envelopeFromHeaders } from '../../backbone/envelope/envelope.ts';
import type { OutgoingMessage } from '../../backbone/messaging/event-bus.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import type { PaymentOrder } from '../../contracts/payment.ts';
import type { PaymentCleared, PaymentHeldForReview, PaymentInitiated, PaymentScored } from '../../contracts/events.ts';
import { complianceCaseMigrations, fromJsonValue } from '../compliance-cases/index.ts';
import type { NewEvent } from '../../backbone/envelope/event-encoder.ts';
import type { PaymentService } from '../service.ts';
import { createFraudService } from './index.ts';

/**
 * The fraud service on the embedded engine (PGlite in memory, the real log, outbox and consumer
 * runner): a burst from a new account ends in review in one case for the account, and a
 * redelivered event counts once. Each event's `occurredAt` is set by a test clock: scoring runs on
 * event time. Velocity's minimum is lowered to 5 so a short burst shows the rule.
 */
describe('the fraud service on the embedded engine', () => {
  const burstAccount = 'DE89370400440532013000';
  const quietAccount = 'DE02120300000000202051';
  const startMs = Date.parse('2025-03-12T10:00:00.000Z');
  const minuteMs = 60_000;
  let fixture: BackboneFixture;
  let service: PaymentService;
  let runner: ConsumerRunner;
  let eventAtMs = startMs;
  const eventClock: Clock = { nowMs: () => eventAtMs, sleep: systemClock.sleep };
  const encoder = new EventEncoder(new JsonCodec(), uuidV7Ids, eventClock);
  const codec = new JsonCodec();
  const burstMessages: OutgoingMessage[] = [];

  const order = (paymentId: string, debtorAccount: string): PaymentOrder => ({
    paymentId,
    uetr: '8a562c67-ca16-48ba-b074-65581be6f011',
    endToEndId: paymentId,
    amountMinor: 100_00n,
    currency: 'EUR',
    debtor: { name: 'Ada Debtor', account: debtorAccount, agent: 'PSTRDEFFXXX', country: 'DE' },
    creditor: { name: 'Bob Creditor', account: 'FR1420041010050500013M02606', agent: 'BNPAFRPPXXX', country: 'FR' },
    remittanceInformation: null,
    receivedAt: new Date(eventAtMs).toISOString(),
  });
  /** Publishes `payments.initiated.v1` for a payment, occurred at `atMs`, correlated by the payment id. */
  async function initiate(paymentId: string, debtorAccount: string, atMs: number): Promise<OutgoingMessage> {
    eventAtMs = atMs;
    const event: NewEvent = {
      topic: PaymentTopics.initiated,
      eventType: PaymentEventTypes[PaymentTopics.initiated],
      key: debtorAccount,
      payload: initiated(order(paymentId, debtorAccount)),
    };
    const { message } = await encoder.encode(event, { correlationId: `flow-${paymentId}` });
    await fixture.bus.publish([message]);
    return message;
  }
  const initiated = (payment: PaymentOrder): PaymentInitiated => ({
    payment,
    corridorCode: 'DEU-FRA',
    screeningDecisionId: `screening-${payment.paymentId}`,
    listVersions: ['ofac-sdn@2025-03-11'],
    travelRuleApplied: false,
  });
  async function published<Payload>(topic: string): Promise<{ payload: Payload; correlationId: string | null }[]> {
    const records = await fixture.records(topic);
    return Promise.all(
      records.map(async (record) => ({
        payload: (await codec.decode(topic, '', record.value!)) as Payload,
        correlationId: envelopeFromHeaders(record.headers, record.key).envelope.correlationId,
      })),
    );
  }
  const scoreCount = async () =>
    (await fixture.db.query<{ count: bigint }>(`select count(*)::int8 as count from fraud_scores`)).rows[0]!.count;

  beforeAll(async () => {
    fixture = await embeddedFixture();
    for (const topic of [PaymentTopics.initiated, PaymentTopics.scored, PaymentTopics.cleared, PaymentTopics.held])
      await fixture.createTopic(topic, 3);
    service = createFraudService(
      {
        db: fixture.db,
        publisher: { publish: async () => {}, publishEach: async () => {} },
        clock: systemClock,
        ids: uuidV7Ids,
        logger: pino({ level: 'silent' }),
        metricsRegistry: new Registry(),
      },
      { retryDelaysMs: [10], rules: { velocityCount: { minPayments: 5 } } },
    );
    await migrate(fixture.db, 'compliance-cases', complianceCaseMigrations);
    await migrate(fixture.db, service.name, service.migrations);
    runner = new ConsumerRunner(fixture.deps, service.consumers[0]!);
    await runner.start();
    // Eight payments from one account a minute apart, two from another account in between.
    for (let i = 1; i <= 8; i++) {
      burstMessages.push(await initiate(`burst-${i}`, burstAccount, startMs + (i - 1) * minuteMs));
      if (i % 4 === 0) await initiate(`quiet-${i / 4}`, quietAccount, startMs + (i - 1) * minuteMs);
    }
    await eventually(async () => (await scoreCount()) === 10n, 'ten payments scored');
  });

  afterAll(async () => {
    await runner?.stop();
    await fixture?.close();
  });

  it('is the fraud service with one blocking-retry consumer of payments.initiated.v1', () => {
    expect(service.name).toBe('fraud');
    expect(service.consumers).toMatchObject([
      { name: 'fraud-scoring', topics: ['payments.initiated.v1'], retry: { mode: 'blocking', delaysMs: [10] } },
    ]);
  });

  it('scores a burst: the first five pass, the sixth and later are held for velocity', async () => {
    const scored = (await published<PaymentScored>(PaymentTopics.scored)).filter(
      ({ payload }) => payload.payment.debtor.account === burstAccount,
    );
    expect(scored.map(({ payload }) => [payload.payment.paymentId, payload.score, payload.decision])).toEqual([
      ['burst-1', 20, 'PASS'],
      ['burst-2', 0, 'PASS'],
      ['burst-3', 0, 'PASS'],
      ['burst-4', 0, 'PASS'],
      ['burst-5', 0, 'PASS'],
      ['burst-6', 60, 'REVIEW'],
      ['burst-7', 60, 'REVIEW'],
      ['burst-8', 60, 'REVIEW'],
    ]);
    expect(scored[0]!.payload.reasons.map((reason) => reason.rule)).toEqual(['newBeneficiary']);
    expect(scored[7]!.payload.reasons).toEqual([
      {
        rule: 'velocityCount',
        points: 60,
        detail:
          '8 payments in 10 min, this one included; this account made no cleared payments in any 10 min of the 35 days before today (review above 5: 3× that, and never at 5 or fewer)',
      },
    ]);
    expect(
      scored.every(
        ({ payload, correlationId }) => correlationId === `flow-${payload.payment.paymentId}` && payload.corridorCode === 'DEU-FRA',
      ),
    ).toBe(true);
  });

  it('clears what passed, for fraud scoring, and leaves the other account alone', async () => {
    const cleared = await published<PaymentCleared>(PaymentTopics.cleared);
    expect(cleared.map(({ payload }) => payload.payment.paymentId).sort()).toEqual([
      'burst-1',
      'burst-2',
      'burst-3',
      'burst-4',
      'burst-5',
      'quiet-1',
      'quiet-2',
    ]);
    expect(new Set(cleared.map(({ payload }) => payload.clearedBy))).toEqual(new Set(['fraud-scoring']));
  });

  it('opens one FRAUD case for the account, holds the later payments in it, each cleared by its approval, and says so on payments.held', async () => {
    const cases = (
      await fixture.db.query<{
        case_id: string;
        payment_id: string;
        correlation_id: string;
        stage: string;
        status: string;
        evidence: { score: number; reasons: { rule: string }[] };
        on_approve: unknown;
        amount_minor: bigint;
      }>(`select * from compliance_cases order by payment_id`)
    ).rows;
    expect(cases.map((row) => [row.payment_id, row.stage, row.status, row.correlation_id, row.amount_minor])).toEqual([
      ['burst-6', 'FRAUD', 'open', 'flow-burst-6', 100_00n],
    ]);
    const attached = (
      await fixture.db.query<{ payment_id: string; case_id: string; correlation_id: string; on_approve: unknown }>(
        `select * from compliance_case_payments order by payment_id`,
      )
    ).rows;
    expect(attached.map((row) => [row.payment_id, row.case_id, row.correlation_id])).toEqual([
      ['burst-7', cases[0]!.case_id, 'flow-burst-7'],
      ['burst-8', cases[0]!.case_id, 'flow-burst-8'],
    ]);
    expect(fromJsonValue<NewEvent & { payload: PaymentCleared }>(attached[1]!.on_approve)).toMatchObject({
      topic: 'payments.cleared.v1',
      payload: { clearedBy: `case:${cases[0]!.case_id}`, payment: { paymentId: 'burst-8' } },
    });
    expect(cases[0]!.evidence).toMatchObject({
      score: 60,
      reviewThreshold: 60,
      reasons: [{ rule: 'velocityCount' }],
      corridorCode: 'DEU-FRA',
    });
    const onApprove = fromJsonValue<NewEvent & { payload: PaymentCleared }>(cases[0]!.on_approve);
    expect(onApprove).toMatchObject({
      topic: 'payments.cleared.v1',
      eventType: 'PaymentCleared',
      key: burstAccount,
      payload: { corridorCode: 'DEU-FRA', clearedBy: `case:${cases[0]!.case_id}` },
    });
    expect(onApprove.payload.payment.amountMinor).toBe(100_00n);

    const held = await published<PaymentHeldForReview>(PaymentTopics.held);
    expect(held.map(({ payload }) => payload)).toEqual(
      ['burst-6', 'burst-7', 'burst-8'].map((paymentId) => ({
        paymentId,
        debtorAccount: burstAccount,
        caseId: cases[0]!.case_id,
        stage: 'FRAUD',
        reason: 'fraud score 60 (review at 60): velocityCount +60',
      })),
    );
  });

  it('does not count a redelivered event twice, even after the consumer forgot it, nor a second event for the same payment', async () => {
    await fixture.db.query(`delete from consumer_processed_events where consumer = 'fraud-scoring'`);
    await fixture.bus.publish(burstMessages);
    const duplicate = await initiate('burst-8', burstAccount, startMs + 9 * minuteMs); // the same payment under a new event id
    const marker = await initiate('quiet-3', quietAccount, startMs + 20 * minuteMs);
    const ids = [...burstMessages, duplicate, marker].map((message) => message.headers!['event-id']!.toString());
    await eventually(
      async () =>
        (
          await fixture.db.query(
            `select 1 from consumer_processed_events where consumer = 'fraud-scoring' and event_id = any($1::text[])`,
            [ids],
          )
        ).rows.length === ids.length,
      'every event handled again',
    );

    expect(await scoreCount()).toBe(11n);
    expect(
      (await published<PaymentScored>(PaymentTopics.scored)).filter(({ payload }) => payload.payment.debtor.account === burstAccount),
    ).toHaveLength(8);
    expect(await published(PaymentTopics.held)).toHaveLength(3);
    expect((await fixture.db.query(`select 1 from compliance_cases`)).rows).toHaveLength(1);
    expect((await fixture.db.query(`select 1 from compliance_case_payments`)).rows).toHaveLength(2);
    const state = await fixture.db.query<{ recent_payments: { paymentId: string; decision: string }[]; known_beneficiaries: string[] }>(
      `select recent_payments, known_beneficiaries from fraud_account_state where debtor_account = $1`,
      [burstAccount],
    );
    expect(state.rows[0]!.recent_payments.map((recent) => `${recent.paymentId}:${recent.decision}`)).toEqual([
      'burst-1:PASS',
      'burst-2:PASS',
      'burst-3:PASS',
      'burst-4:PASS',
      'burst-5:PASS',
      'burst-6:REVIEW',
      'burst-7:REVIEW',
      'burst-8:REVIEW',
    ]);
    expect(state.rows[0]!.known_beneficiaries).toHaveLength(1);
  });
});
