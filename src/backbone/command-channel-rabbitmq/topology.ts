import type { Channel } from 'amqplib';

/** What the queues are declared with; every declaration of a queue must agree, or the broker refuses it. */
export interface RabbitTopology {
  exchange: string;
  deadLetterExchange: string;
  maxDeliveries: number;
}

/** The dead-letter queue of a destination. */
export function deadLetterQueueOf(destination: string): string {
  return `${destination}.dlq`;
}

/**
 * Declares a destination, idempotently, from either side (the relay before it publishes, a
 * participant before it consumes), so neither depends on the other having started first:
 *
 *   <exchange> (direct, durable) --destination--> <destination> (quorum queue, x-delivery-limit,
 *     dead-lettering to <deadLetterExchange> with the destination as routing key)
 *   <deadLetterExchange> (direct, durable) --destination--> <destination>.dlq (quorum queue)
 *
 * Quorum queues are replicated (Raft) and durable, and count each command's deliveries, which is
 * what bounds the redeliveries of a command that crashes its consumer.
 */
export async function declareDestination(channel: Channel, topology: RabbitTopology, destination: string): Promise<void> {
  const { exchange, deadLetterExchange, maxDeliveries } = topology;
  const deadLetters = deadLetterQueueOf(destination);
  await channel.assertExchange(exchange, 'direct', { durable: true });
  await channel.assertExchange(deadLetterExchange, 'direct', { durable: true });
  await channel.assertQueue(deadLetters, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(deadLetters, deadLetterExchange, destination);
  await channel.assertQueue(destination, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': maxDeliveries,
      'x-dead-letter-exchange': deadLetterExchange,
      'x-dead-letter-routing-key': destination,
    },
  });
  await channel.bindQueue(destination, exchange, destination);
}
