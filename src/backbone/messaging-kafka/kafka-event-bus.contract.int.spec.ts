import { describeWithKafka } from '../../../test/support/engines.ts';
import { eventBusContract } from '../messaging/event-bus.contract.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import { publishInSlowTransaction, TestTopics, testBusOptions } from './testing.ts';

// The scaled engine against a real broker. "Another process" is another bus: its own producer,
// consumers and connections, as a second process would have.
describeWithKafka('Kafka engine', () =>
  eventBusContract('kafka', async () => {
    const topics = new TestTopics();
    const bus = new KafkaEventBus(testBusOptions());
    return {
      bus,
      openAnotherBus: async () => new KafkaEventBus(testBusOptions()),
      createTopic: async (name, partitions) => void (await topics.create(partitions, { name })),
      // Kafka's slow producer: a transaction held open, read-committed consumers wait for it.
      publishSlowly: publishInSlowTransaction,
      close: async () => {
        await bus.close();
        await topics.close();
      },
    };
  }),
);
