import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import { deadLetterHeaders } from '../../src/backbone/consumer/index.ts';
import { EventEncoder } from '../../src/backbone/envelope/event-encoder.ts';
import { BusCommandChannel, sagaCommandEventType, type SagaCommandMessage } from '../../src/backbone/saga/index.ts';
import type { CommandChannelFixture } from '../../src/backbone/saga/command-channel.contract.ts';
import type { BackboneFixture } from '../../src/backbone/testing/embedded-fixture.ts';
import { deadLetterTopicOf } from '../../src/backbone/topics/topic-naming.ts';

/** The event-bus command channel on a backbone fixture (the table log, or Kafka and PostgreSQL). */
export async function busCommandChannelFixture(makeBackbone: () => Promise<BackboneFixture>): Promise<CommandChannelFixture> {
  const backbone = await makeBackbone();
  const encoder = new EventEncoder(backbone.deps.codec, uuidV7Ids, systemClock);
  return {
    backbone,
    channel: new BusCommandChannel(backbone.deps),
    createDestination: (name) => backbone.createTopic(name),
    async sendTwice({ destination, key, message }) {
      const { message: encoded } = await encoder.encode(
        { topic: destination, eventType: sagaCommandEventType, key, payload: message },
        { correlationId: key },
      );
      await backbone.bus.publish([encoded, encoded]);
    },
    async deadLetters(destination) {
      const records = await backbone.records(deadLetterTopicOf(destination));
      return Promise.all(
        records.map(async (record) => {
          const command = (await backbone.deps.codec.decode(destination, sagaCommandEventType, record.value!)) as SagaCommandMessage;
          return { commandId: command.commandId, reason: record.headers[deadLetterHeaders.reason]?.toString() ?? '' };
        }),
      );
    },
    close: () => backbone.close(),
  };
}
