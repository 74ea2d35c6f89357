/**
 * A group member in a process of its own, for the crash test: it subscribes, reports the first batch
 * it is given on stdout, and never finishes handling it. The test then kills the process (SIGKILL),
 * so nothing is committed and the member does not leave the group: the group notices it is gone
 * only when its session times out, as after a real crash.
 *
 * Arguments: brokers groupId topic
 */
import { KafkaEventBus } from '../../src/backbone/messaging-kafka/index.ts';

const [brokers, groupId, topic] = process.argv.slice(2);
if (!brokers || !groupId || !topic) throw new Error('usage: crashing-member.ts brokers groupId topic');
const bus = new KafkaEventBus({
  bootstrapBrokers: brokers.split(','),
  sessionTimeoutMs: 2_000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 200,
  fetchMaxWaitMs: 100,
});
await bus.subscribe({
  groupId,
  topics: [topic],
  handleBatch: async (batch) => {
    process.stdout.write(`${JSON.stringify({ partition: batch.partition, offsets: batch.records.map((r) => r.offset.toString()) })}\n`);
    await new Promise(() => {});
  },
});
