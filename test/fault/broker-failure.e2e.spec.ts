/**
 * A broker of a three-node cluster (replication factor 3, min.insync.replicas 2) is killed with
 * kill -9 while events are produced and a stage consumes them: nothing is lost, no effect is
 * applied twice, and the broker rejoins.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeWithKafka, hasPostgres, uniqueName, type TestDatabase } from '../support/engines.ts';
import { KafkaCluster } from '../support/kafka-cluster.ts';
import { StageHarness, assertExactlyOnce } from './stage-harness.ts';

const eventCount = 3000;

describeWithKafka('broker failure on a three-node cluster', () => {
  let cluster: KafkaCluster | undefined;
  let database: TestDatabase | undefined;
  let harness: StageHarness | undefined;

  beforeAll(async () => {
    cluster = await KafkaCluster.start();
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await database?.drop();
    await cluster?.stop();
  }, 120_000);

  it('kill -9 of one broker during a produce/consume run loses nothing and duplicates no effect', { timeout: 300_000 }, async (context) => {
    if (!hasPostgres()) return context.skip('needs PostgreSQL');
    database = await createTestDatabase('broker_kill');
    harness = await StageHarness.open('kafka', database.url, cluster!.brokers, uniqueName('b').replace(/[^a-z0-9]/g, ''), 3);
    await harness.startStage(undefined, 50);
    // Produce the first half, kill a broker mid-stream, produce the rest while it is down.
    await harness.publishInput(eventCount / 2);
    const victim = 1 + Math.floor(Math.random() * 3);
    process.kill(await cluster!.pid(victim), 'SIGKILL');
    await harness.publishInput(eventCount / 2, eventCount / 2);
    await cluster!.restartNode(victim);
    await assertExactlyOnce(harness, eventCount);
    expect(victim).toBeGreaterThan(0);
  });
});
