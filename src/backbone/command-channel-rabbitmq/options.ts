import { BackboneError, ErrorCodes } from '../errors.ts';

/**
 * How the RabbitMQ command channel reaches the broker and shapes its queues. Only `url` is
 * required; every default lives in `rabbitDefaults` below.
 */
export interface RabbitCommandChannelOptions {
  /** `amqp://user:password@host:port/vhost` (or `amqps://`). Never logged: it holds the password. */
  url: string;
  /** The direct exchange commands are published to, routed by destination. */
  exchange?: string;
  /** The direct exchange dead letters go through, into `<destination>.dlq`. Default `<exchange>.dlx`. */
  deadLetterExchange?: string;
  /**
   * Deliveries of one command at most: a command whose handler keeps failing transiently is
   * dead-lettered at its last delivery, and the queue's `x-delivery-limit` (the same number) has
   * the broker dead-letter one that keeps crashing its consumer before any answer.
   */
  maxDeliveries?: number;
  /** Commands delivered to one participant and not yet acknowledged, at most (the channel's prefetch). */
  maxUnacknowledged?: number;
  /** Pause before a command that failed transiently goes back to its queue. */
  transientRetryDelayMs?: number;
  /** Pause before reconnecting after the connection or channel dropped. */
  reconnectDelayMs?: number;
  /** Longest the relay of the command outbox sleeps without a wake-up (a lost NOTIFY's safety net). */
  relayIdlePollMs?: number;
  /**
   * A prefix (`<namespace>.`) for every queue, so that several platforms (or test runs) on one
   * broker never consume each other's commands, as PAYSTREAM_NAMESPACE keeps their Kafka topics
   * apart. Default '' (none); letters, digits, `.`, `_` and `-`.
   */
  namespace?: string;
}

export type ResolvedRabbitOptions = Required<RabbitCommandChannelOptions>;

export const rabbitDefaults = {
  exchange: 'paystream.saga.commands',
  maxDeliveries: 5,
  maxUnacknowledged: 16,
  transientRetryDelayMs: 1_000,
  reconnectDelayMs: 1_000,
  relayIdlePollMs: 5_000,
  namespace: '',
} as const;

/** The URL RabbitMQ's own tools default to: the local broker and its `guest` user. */
export const defaultRabbitUrl = 'amqp://guest:guest@127.0.0.1:5672';

export function resolveRabbitOptions(options: RabbitCommandChannelOptions): ResolvedRabbitOptions {
  const exchange = options.exchange ?? rabbitDefaults.exchange;
  const resolved: ResolvedRabbitOptions = {
    ...rabbitDefaults,
    deadLetterExchange: `${exchange}.dlx`,
    ...stripUndefined(options),
    url: options.url,
    exchange,
  };
  if (!/^amqps?:\/\//.test(resolved.url))
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, 'the RabbitMQ URL must start with amqp:// or amqps://');
  if (!/^[A-Za-z0-9._-]{0,100}$/.test(resolved.namespace))
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, 'the namespace may hold letters, digits, ".", "_" and "-" only (100 at most)');
  for (const name of ['maxDeliveries', 'maxUnacknowledged'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 1)
      throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} must be a positive integer, not ${resolved[name]}`);
  }
  for (const name of ['transientRetryDelayMs', 'reconnectDelayMs', 'relayIdlePollMs'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 0)
      throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} must be a non-negative integer (ms), not ${resolved[name]}`);
  }
  return resolved;
}

/** The URL without its password, for messages. */
export function redactRabbitUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unreadable URL)';
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
