import type { Channel } from 'amqplib';

/** What the queues are declared with; every declaration of a queue must agree, or the broker refuses it. */
export interface RabbitTopology {
  exchange: string;
  deadLetterExchange: string;
  maxDeliveries: number;
  /** A prefix (`<namespace>.`) for every queue and routing key, as PAYSTREAM_NAMESPACE is for Kafka topics; '' or unset: none. */
  namespace?: string;
}

/** The queue (and routing key) of a destination: the destination, under the topology's namespace if it has one. */
export function queueOf(topology: Pick<RabbitTopology, 'namespace'>, destination: string): string {
  return topology.namespace ? `${topology.namespace}.${destination}` : destination;
}

/** The dead-letter queue of a destination. */
export function deadLetterQueueOf(destination: string): string {
  return `${destination}.dlq`;
}

/**
 * Declares a destination, idempotently, from either side (the relay before it publishes, a
 * participant before it consumes), so neither depends on the other having started first:
 *
 *   <exchange> (direct, durable) --queue--> <queue> (quorum queue, x-delivery-limit,
 *     dead-lettering to <deadLetterExchange> with the queue as routing key)
 *   <deadLetterExchange> (direct, durable) --queue--> <queue>.dlq (quorum queue)
 *
 * where <queue> is the destination under the topology's namespace (`queueOf`).
 *
 * Quorum queues are replicated (Raft) and durable, and count each command's deliveries, which is
 * what bounds the redeliveries of a command that crashes its consumer.
 */
export async function declareDestination(channel: Channel, topology: RabbitTopology, destination: string): Promise<void> {
  const { exchange, deadLetterExchange, maxDeliveries } = topology;
  const queue = queueOf(topology, destination);
  const deadLetters = deadLetterQueueOf(queue);
  await channel.assertExchange(exchange, 'direct', { durable: true });
  await channel.assertExchange(deadLetterExchange, 'direct', { durable: true });
  await channel.assertQueue(deadLetters, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(deadLetters, deadLetterExchange, queue);
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': maxDeliveries,
      'x-dead-letter-exchange': deadLetterExchange,
      'x-dead-letter-routing-key': queue,
    },
  });
  await channel.bindQueue(queue, exchange, queue);
}
