/**
 * The RabbitMQ broker of a test run (the RabbitMQ command channel's tests). Tests never share a
 * queue: each names its own (`uniqueName`), so runs on one broker stay apart.
 */
import { connect } from 'amqplib';
import { defaultRabbitUrl, redactRabbitUrl } from '../../src/backbone/command-channel-rabbitmq/index.ts';
import { messageOf } from './processes.ts';

export interface RabbitMQCheck {
  url: string | null;
  unavailableReason: string | null;
}

const connectTimeoutMs = 5_000;

/** Checks that a broker answers at `url` (default: the local one, user guest) and lets the user in. */
export async function checkRabbitMQ(url = defaultRabbitUrl): Promise<RabbitMQCheck> {
  try {
    const connection = await connect(url, { timeout: connectTimeoutMs });
    await connection.close();
    return { url, unavailableReason: null };
  } catch (error) {
    return { url: null, unavailableReason: `RabbitMQ at ${redactRabbitUrl(url)} is unavailable: ${messageOf(error)}` };
  }
}
