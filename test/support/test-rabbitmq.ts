/**
 * The RabbitMQ broker of a test run (the RabbitMQ command channel's tests). Tests never share a
 * queue: each names its own (`uniqueName`), so runs on one broker stay apart.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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

const run = promisify(execFile);

/** Whether `rabbitmqctl` works here (it needs the broker's Erlang cookie: root, or the rabbitmq user). */
export async function hasRabbitmqctl(): Promise<boolean> {
  try {
    await run('rabbitmqctl', ['-q', 'status'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Has the broker close every connection whose `connection_name` starts with `prefix`, as a broker
 * restart or a network cut would; resolves to how many it closed.
 */
export async function closeConnectionsNamed(prefix: string): Promise<number> {
  // The table form, not JSON: only it spells the pid with its node, as close_connection wants it.
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q', '--no-table-headers'], {
    timeout: 30_000,
  });
  const pids = stdout
    .split('\n')
    .map((line) => ({ pid: line.split('\t')[0]!, name: /\{"connection_name","([^"]*)"\}/.exec(line)?.[1] }))
    .filter((connection) => connection.name?.startsWith(prefix))
    .map((connection) => connection.pid);
  for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'closed by a test'], { timeout: 30_000 });
  return pids.length;
}

/** The type and arguments a queue was declared with, as the broker holds them. */
export async function queueDeclaration(name: string): Promise<{ type: string; arguments: Record<string, unknown> } | undefined> {
  const { stdout } = await run('rabbitmqctl', ['list_queues', 'name', 'type', 'arguments', '--formatter', 'json', '-q'], {
    timeout: 30_000,
  });
  const queues = JSON.parse(stdout || '[]') as { name: string; type: string; arguments: [string, string, unknown][] }[];
  const queue = queues.find((candidate) => candidate.name === name);
  return queue && { type: queue.type, arguments: Object.fromEntries(queue.arguments.map(([key, , value]) => [key, value])) };
}
