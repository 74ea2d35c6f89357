// The choreography's one written shape: what each participant publishes. What each consumes is
// its consumers' `topics`. Both are enforced where the events leave: a consumer's emit outside its
// declaration fails the event (the backbone's `ConsumerOptions.produces`), and so does a write to
// the outbox by a participant's routes, loops or handlers (`declaredOutbox`). The diagram in
// docs/orders.md is drawn from these declarations and a test keeps it current.
import type { Outbox } from '../../backbone/outbox/index.ts';
import { flowDiagram } from '../../backbone/flows/index.ts';
import { OrderEventTypes, OrderTopics, type OrderTopic } from './contracts.ts';
import type { OrdersParticipant } from './app.ts';

/** The topics each participant publishes, by participant name. */
export const orderParticipantOutputs: Readonly<Record<string, readonly OrderTopic[]>> = {
  orders: [OrderTopics.placed, OrderTopics.cancelled],
  'orders-payment': [
    OrderTopics.paymentCompleted,
    OrderTopics.paymentFailed,
    OrderTopics.paymentRefunded,
    OrderTopics.paymentRefundFailed,
    OrderTopics.paymentRefundRetried,
  ],
  'orders-inventory': [OrderTopics.inventoryReserved, OrderTopics.inventoryReservationFailed, OrderTopics.inventoryReleased],
  'orders-shipping': [OrderTopics.shipmentCreated, OrderTopics.shipmentFailed],
  'orders-fraud-check': [OrderTopics.fraudCleared, OrderTopics.fraudDetected],
  'orders-notifications': [],
  'orders-analytics': [],
};

/** The outputs of a participant; throws for a participant the declaration does not know. */
export function outputsOf(participant: string): readonly OrderTopic[] {
  const outputs = orderParticipantOutputs[participant];
  if (!outputs) throw new TypeError(`order participant ${participant} declares no outputs in src/apps/orders/flow.ts`);
  return outputs;
}

/** The participant with its consumers' `produces` set from its declared outputs. */
export function withDeclaredOutputs(participant: OrdersParticipant): OrdersParticipant {
  const produces = outputsOf(participant.name);
  return { ...participant, consumers: participant.consumers.map((consumer) => ({ ...consumer, produces })) };
}

/** `outbox`, refusing a message to a topic `participant` does not declare (a programmer error). */
export function declaredOutbox(outbox: Outbox, participant: string): Outbox {
  const outputs: readonly string[] = outputsOf(participant);
  return {
    write: async (tx, messages) => {
      const undeclared = messages.find((message) => !outputs.includes(message.topic));
      if (undeclared)
        throw new TypeError(
          `order participant ${participant} publishes ${undeclared.topic}, which it does not declare in src/apps/orders/flow.ts`,
        );
      await outbox.write(tx, messages);
    },
  };
}

/** The choreography as a Mermaid flowchart, from the participants' declarations. */
export function ordersFlowDiagram(participants: readonly OrdersParticipant[]): string {
  const label = (name: string) => name.replace(/^orders-/, '');
  return flowDiagram(
    participants.map((participant) => ({
      name: label(participant.name),
      consumes: [...new Set(participant.consumers.flatMap((consumer) => consumer.topics))],
      produces: outputsOf(participant.name),
    })),
    {
      eventTypeOf: (topic) => OrderEventTypes[topic as OrderTopic] ?? paymentEventTypeOf(topic),
      externalSource: { name: 'paystream', label: 'paystream payment flow' },
      calls: [{ from: 'payment', to: 'paystream', label: 'POST /v1/payments' }],
    },
  );
}

/** paystream's payment topics, as the diagram names them (`payments.completed.v1` → `payments.completed`). */
function paymentEventTypeOf(topic: string): string {
  return topic.replace(/\.v\d+$/, '');
}
