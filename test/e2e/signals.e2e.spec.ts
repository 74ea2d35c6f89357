import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/backbone/observability/logger.ts';
import { PaymentTopics } from '../../src/contracts/topics.ts';
import { hasKafka, hasPostgres } from '../support/engines.ts';
import { relaxedFraudRules, startTestPlatform, type TestPlatform } from '../support/platform-fixture.ts';

// What an operator sees of a running platform: /metrics (its size, the lag and dead-letter series)
// and the logs of a few payments (each line about a payment carries its correlation id and payment
// id, one access line per request, no IBAN or party name). On the embedded engine with the
// production tuning, as `paystream start` runs it; the dead-letter depth on Kafka too.

const metricsSizeBytesMax = 60 * 1024;
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

  it('serves /metrics under 60 KB: lag per group and topic, no per-partition lag, stock process metrics', async () => {
    const response = await fetch(`${ps.url}/metrics`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(Buffer.byteLength(text)).toBeLessThan(metricsSizeBytesMax);
    expect(text).toMatch(/^paystream_consumer_lag_messages\{group="ledger",topic="payments\.cleared\.v1"\} \d+$/m);
    expect(text).toMatch(/^paystream_consumer_lag_messages_max\{group="ledger",topic="payments\.cleared\.v1"\} \d+$/m);
    expect(text).toMatch(/^paystream_consumer_lag_seconds\{group="ledger",topic="payments\.cleared\.v1"\} [\d.e+-]+$/m);
    expect(text).not.toMatch(/partition="\d+"/);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('moves paystream_dlq_depth when a record is dead-lettered', async () => {
    await expectDeadLetterDepthMoves(ps);
  });
});

describe.skipIf(!(hasKafka() && hasPostgres()))(`dead-letter depth on Kafka${hasKafka() && hasPostgres() ? '' : ' (skipped: needs Kafka and PostgreSQL; REQUIRE_KAFKA/REQUIRE_POSTGRES make CI fail instead)'}`, () => {
  let ps: TestPlatform;
  beforeAll(async () => {
    ps = await startTestPlatform('kafka', { awaitScreeningLists: false });
  }, 120_000);
  afterAll(async () => ps?.close(), 60_000);

  it('moves paystream_dlq_depth when a record is dead-lettered', async () => {
    await expectDeadLetterDepthMoves(ps);
  });
});

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

  await ps.platform.backbone.bus.publish([{ topic: PaymentTopics.submitted, key: Buffer.from('signals'), value: Buffer.from('not an event'), headers: {} }]);

  // The lag collector refreshes at most every 10 s: a generous deadline, no fixed sleep.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = await scrape();
    const letters = [...text.matchAll(new RegExp(`^paystream_events_dead_lettered_total\\{group="[^"]+",topic="${PaymentTopics.submitted.replaceAll('.', '\\.')}",code="[A-Z_]+"\\} (\\d+)$`, 'gm'))]
      .map((match) => Number(match[1]))
      .reduce((sum, count) => sum + count, 0);
    if (letters > 0 && depthOf(text) === letters) return;
    if (Date.now() > deadline) throw new Error(`paystream_dlq_depth is ${depthOf(text)} with ${letters} dead letters counted after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
