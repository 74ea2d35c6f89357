import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { JsonCodec } from '../../backbone/codec/index.ts';
import { systemClock, uuidV7Ids } from '../../backbone/clock/index.ts';
import type { OutgoingMessage } from '../../backbone/messaging/index.ts';
import { createOrdersApp, ordersFlowDiagram, orderParticipantNames, orderParticipantOutputs } from './index.ts';
import { declaredOutbox } from './flow.ts';
import { OrderTopics } from './contracts.ts';

function app() {
  return createOrdersApp(
    {
      db: undefined as never,
      outbox: { write: async () => {} },
      codec: new JsonCodec(),
      clock: systemClock,
      ids: uuidV7Ids,
      logger: pino({ level: 'silent' }),
      requireScope: () => async () => {},
      callerOf: () => 'test',
      callerHolds: () => false,
      paymentsApi: undefined as never,
    },
    { bankBic: 'PSTRDEFFXXX' },
  );
}

describe("the order flow's declared outputs", () => {
  it('name every participant, and every consumer carries its participant’s', () => {
    expect(Object.keys(orderParticipantOutputs).sort()).toEqual([...orderParticipantNames].sort());
    for (const participant of app().participants)
      for (const consumer of participant.consumers) expect(consumer.produces).toEqual(orderParticipantOutputs[participant.name]);
  });

  it('refuse a write to the outbox of a topic the participant does not declare, and pass the declared ones on', async () => {
    const written: OutgoingMessage[] = [];
    const outbox = declaredOutbox({ write: async (_tx, messages) => void written.push(...messages) }, 'orders-inventory');
    const message = (topic: string): OutgoingMessage => ({ topic, key: Buffer.from('order-1'), value: Buffer.from('{}') });
    await outbox.write(undefined as never, [message(OrderTopics.inventoryReserved)]);
    await expect(outbox.write(undefined as never, [message(OrderTopics.paymentRefunded)])).rejects.toThrow(
      'order participant orders-inventory publishes order-payments.refunded.v1, which it does not declare',
    );
    expect(written.map((entry) => entry.topic)).toEqual([OrderTopics.inventoryReserved]);
  });

  it('draw the choreography of docs/orders.md', async () => {
    const page = await readFile(new URL('../../../docs/orders.md', import.meta.url), 'utf8');
    expect(page).toContain(`\`\`\`mermaid\n${ordersFlowDiagram(app().participants)}\n\`\`\``);
  });
});
