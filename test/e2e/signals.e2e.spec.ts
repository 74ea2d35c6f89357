import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/backbone/observability/logger.ts';
import { PaymentTopics } from '../../src/contracts/topics.ts';
import { hasKafka, hasPostgres } from '../support/engines.ts';
import { externalCreditor, relaxedFraudRules, startTestPlatform, type JsonBody, type TestPlatform } from '../support/platform-fixture.ts';

// What an operator sees of a running platform: /metrics (its size, the lag and dead-letter series)
// and the logs of a few payments (each line about a payment carries its correlation id and payment
// id, one access line per request, no IBAN or party name). On the embedded engine with the
// production tuning, as `paystream start` runs it; the dead-letter depth on Kafka too.

/** Party names used only here, so that finding one in the logs can only mean a leak. */
const names = { debtor: 'Ottilie Signalwood', internal: 'Bartholomew Quillfeather', creditor: 'Wilhelmina Kestrelby' };

// 60 KB until the consumer heartbeats (a series per consumer group, some 3 KB) joined; the bound is
// there to catch a series per partition (337 KB), which stays off by default.
const maxMetricsSizeBytes = 64 * 1024;
const deadLetterTopic = `${PaymentTopics.submitted}.dlq`;

describe('operating signals on the default embedded platform', () => {
  const lines: string[] = [];
  let ps: TestPlatform;
  beforeAll(async () => {
    const logger = createLogger({ level: 'debug', service: 'paystream', destination: { write: (line: string) => void lines.push(line) } });
    // The production tuning, but the fraud rules that would hold several payments from new accounts.
    ps = await startTestPlatform('embedded', { logger, productionTuning: true, tuning: { fraud: { rules: relaxedFraudRules } } });
  }, 120_000);
  afterAll(async () => ps?.close(), 60_000);

  it('serves /metrics under 64 KB: lag per group and topic, no per-partition lag, stock process metrics', async () => {
    const response = await fetch(`${ps.url}/metrics`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(Buffer.byteLength(text)).toBeLessThan(maxMetricsSizeBytes);
    expect(text).toMatch(/^paystream_consumer_lag_messages\{group="ledger",topic="payments\.cleared\.v1"\} \d+$/m);
    expect(text).toMatch(/^paystream_consumer_lag_messages_max\{group="ledger",topic="payments\.cleared\.v1"\} \d+$/m);
    expect(text).toMatch(/^paystream_consumer_lag_seconds\{group="ledger",topic="payments\.cleared\.v1"\} [\d.e+-]+$/m);
    expect(text).not.toMatch(/partition="\d+"/);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('serves every metric the alert rules and the Grafana dashboard name, so neither can drift from the code', async () => {
    const served = new Set([...(await (await fetch(`${ps.url}/metrics`)).text()).matchAll(/^# TYPE (\w+) /gm)].map((match) => match[1]!));
    const read = (file: string) => readFile(new URL(`../../docs/operating/${file}`, import.meta.url), 'utf8');
    for (const file of ['alerts.yml', 'grafana-dashboard.json']) {
      // A histogram is served under its name; its series add _bucket, _sum and _count.
      const named = new Set([...(await read(file)).matchAll(/\b((?:paystream|process|nodejs)_[a-z0-9_]+)/g)].map((match) => match[1]!));
      expect(named.size).toBeGreaterThan(5);
      for (const name of named) {
        if (name.startsWith('paystream_dashboard:')) continue;
        const metric = served.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
        expect(served, `${name} in docs/operating/${file}`).toContain(metric);
      }
    }
  });

  it('moves paystream_dlq_depth when a record is dead-lettered', async () => {
    await expectDeadLetterDepthMoves(ps);
  });

  it("logs each payment's lines with its correlation id and payment id, one access line per request, and no IBAN or party name", async () => {
    const debtors = [] as string[];
    for (let index = 0; index < 4; index++) debtors.push(await ps.openAccount(names.debtor, { deposit: '100.00' }));
    const internal = await ps.openAccount(names.internal);
    const creditor = { ...externalCreditor, name: names.creditor };
    const payments = [
      { debtor: debtors[0]!, amount: '10.00', creditor, correlationId: `signals-${randomBytes(6).toString('hex')}` },
      { debtor: debtors[1]!, amount: '20.00', creditor: { name: names.internal, account: internal, agent: 'PAYSDEFFXXX', country: 'DE' } },
      { debtor: debtors[2]!, amount: '100.01', creditor },
      { debtor: debtors[3]!, amount: '30.00', creditor: { ...creditor, name: `${names.creditor} REJECT-AC04` } },
    ];
    const submitted: { paymentId: string; uetr: string; correlationId: string }[] = [];
    const responseIds: string[] = [];
    for (const payment of payments) {
      const headers: Record<string, string> = { 'idempotency-key': randomBytes(8).toString('hex') };
      if (payment.correlationId) headers['x-correlation-id'] = payment.correlationId;
      const response = await ps.api(
        'POST',
        '/v1/payments',
        { amount: payment.amount, currency: 'EUR', debtor: { name: names.debtor, account: payment.debtor }, creditor: payment.creditor },
        headers,
      );
      expect(response.status, JSON.stringify(response.body)).toBe(202);
      const correlationId = response.headers.get('x-correlation-id')!;
      expect(correlationId).toBe(payment.correlationId ?? response.body.correlationId);
      expect(response.body.correlationId).toBe(correlationId);
      submitted.push({ paymentId: response.body.paymentId, uetr: response.body.uetr, correlationId });
      responseIds.push(correlationId);
    }
    // A client's id that does not look like one is replaced, not logged or passed on.
    const unusable = await ps.api('GET', `/v1/payments/${submitted[0]!.paymentId}`, undefined, { 'x-correlation-id': 'no good' });
    expect(unusable.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    responseIds.push(unusable.headers.get('x-correlation-id')!);
    const outcomes: JsonBody[] = [];
    for (const { paymentId } of submitted) {
      const view = await ps.api('GET', `/v1/payments/${paymentId}`);
      responseIds.push(view.headers.get('x-correlation-id')!);
      outcomes.push(await ps.settled(paymentId, 60_000));
    }
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['COMPLETED', 'COMPLETED', 'FAILED', 'FAILED']);
    // The lines of what the last answers set off (the audit trail, notifications) may still come.
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);

    // Each payment's lines: every line that names it or its correlation id carries both.
    for (const { paymentId, uetr, correlationId } of submitted) {
      const about = logged.filter(
        (line) => line.msg !== 'request' && [paymentId, uetr, correlationId].some((id) => JSON.stringify(line).includes(id)),
      );
      for (const line of about)
        expect({ correlationId: line.correlationId, paymentId: line.paymentId }, JSON.stringify(line)).toEqual({
          correlationId,
          paymentId,
        });
    }
    // The RTGS payments leave lines from the consumers and the network's callbacks at debug level.
    for (const { paymentId } of [submitted[0]!, submitted[3]!]) {
      const messages = logged.filter((line) => line.paymentId === paymentId).map((line) => line.msg);
      expect(messages).toEqual(expect.arrayContaining(['pacs.008 sent to the RTGS network', 'RTGS answer applied']));
    }

    // One access line per request, with its correlation id; probes and scrapes are not logged.
    const access = logged.filter((line) => line.msg === 'request');
    for (const correlationId of responseIds) {
      const mine = access.filter((line) => line.correlationId === correlationId);
      expect(mine, correlationId).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        method: expect.stringMatching(/^(GET|POST)$/),
        route: expect.stringMatching(/^\/v1\/payments(\/:paymentId)?$/),
        status: expect.any(Number),
        durationMs: expect.any(Number),
        keyId: expect.any(String),
      });
    }
    expect(access.filter((line) => line.route === '/health/ready' || line.route === '/metrics')).toEqual([]);
    expect(access.some((line) => line.route === '/rtgs/v1/pacs002')).toBe(true);

    // No account identifier or party name anywhere.
    const text = lines.join('');
    for (const secret of [...debtors, internal, externalCreditor.account, ...Object.values(names)])
      expect(text, secret).not.toContain(secret);
  }, 120_000);
});

describe.skipIf(!(hasKafka() && hasPostgres()))(
  `dead-letter depth on Kafka${hasKafka() && hasPostgres() ? '' : ' (skipped: needs Kafka and PostgreSQL; REQUIRE_KAFKA/REQUIRE_POSTGRES make CI fail instead)'}`,
  () => {
    let ps: TestPlatform;
    beforeAll(async () => {
      ps = await startTestPlatform('kafka', { awaitScreeningLists: false });
    }, 120_000);
    afterAll(async () => ps?.close(), 60_000);

    it('moves paystream_dlq_depth when a record is dead-lettered', async () => {
      await expectDeadLetterDepthMoves(ps);
    });
  },
);

/**
 * Publishes a record no consumer can read (no envelope) to payments.submitted: each consumer of the
 * topic dead-letters it, and the depth of payments.submitted's dead-letter topic rises from 0 to
 * as many letters as the dead-letter counters report.
 */
async function expectDeadLetterDepthMoves(ps: TestPlatform): Promise<void> {
  const depthPattern = new RegExp(`^paystream_dlq_depth\\{topic="${deadLetterTopic.replaceAll('.', '\\.')}"\\} (\\d+)$`, 'm');
  const scrape = async () => (await fetch(`${ps.url}/metrics`)).text();
  const depthOf = (text: string) => Number(depthPattern.exec(text)?.[1] ?? Number.NaN);
  expect(depthOf(await scrape())).toBe(0);

  await ps.platform.backbone.bus.publish([
    { topic: PaymentTopics.submitted, key: Buffer.from('signals'), value: Buffer.from('not an event'), headers: {} },
  ]);

  // The lag collector refreshes at most every 10 s: a generous deadline, no fixed sleep.
  const deadline = Date.now() + 60_000;
  let letters = 0;
  for (;;) {
    const text = await scrape();
    letters = [
      ...text.matchAll(
        new RegExp(
          `^paystream_events_dead_lettered_total\\{group="[^"]+",topic="${PaymentTopics.submitted.replaceAll('.', '\\.')}",code="[A-Z_]+"\\} (\\d+)$`,
          'gm',
        ),
      ),
    ]
      .map((match) => Number(match[1]))
      .reduce((sum, count) => sum + count, 0);
    if (letters > 0 && depthOf(text) === letters) break;
    if (Date.now() > deadline) throw new Error(`paystream_dlq_depth is ${depthOf(text)} with ${letters} dead letters counted after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  // An operator who has reviewed them acknowledges them through the API: the depth drops to 0, so
  // the alert can resolve.
  const acknowledged = await ps.api('POST', '/v1/dead-letters/acknowledgements', {
    topic: PaymentTopics.submitted,
    operator: 'alice@bank',
    reason: 'undecodable test record, nothing to replay',
  });
  expect(acknowledged.status, JSON.stringify(acknowledged.body)).toBe(200);
  expect(acknowledged.body).toEqual({ topic: PaymentTopics.submitted, acknowledged: letters });
  const settledBy = Date.now() + 60_000;
  while (depthOf(await scrape()) !== 0) {
    if (Date.now() > settledBy) throw new Error(`paystream_dlq_depth is still ${depthOf(await scrape())} 60 s after the acknowledgement`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(
    (await ps.api('POST', '/v1/dead-letters/acknowledgements', { topic: PaymentTopics.submitted, operator: 'alice@bank', reason: 'again' }))
      .body,
  ).toEqual({ topic: PaymentTopics.submitted, acknowledged: 0 });
}
