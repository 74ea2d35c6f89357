import { resolve } from 'node:path';
import { BackboneError, ErrorCodes } from '../backbone/errors.ts';

/**
 * paystream's configuration, read once from the environment at startup (the only place that
 * reads `process.env`). Nothing set means the embedded default: PGlite in `./.paystream`, the
 * event log in its tables, the built-in schema registry. Each variable moves one piece to a real
 * server.
 */
export interface PaystreamConfig {
  /** HTTP port of the API, metrics and health endpoints. */
  port: number;
  /** Bind address; loopback by default, so a first start exposes nothing to the network. */
  host: string;
  database: { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };
  eventLog: { kind: 'database' } | { kind: 'kafka'; brokers: string[]; replicationFactor: number };
  schemaRegistry: { kind: 'builtin' } | { kind: 'http'; url: string };
  logLevel: LogLevel;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof logLevels)[number];

export function readConfig(env: NodeJS.ProcessEnv): PaystreamConfig {
  const brokers = list(env.KAFKA_BROKERS);
  return {
    port: integer(env.PORT, 'PORT', 3000, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    database: env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL } : { kind: 'pglite', dataDir: resolve(env.PAYSTREAM_DATA_DIR || '.paystream') },
    eventLog: brokers.length > 0 ? { kind: 'kafka', brokers, replicationFactor: integer(env.KAFKA_REPLICATION_FACTOR, 'KAFKA_REPLICATION_FACTOR', Math.min(3, brokers.length), 1, 32) } : { kind: 'database' },
    schemaRegistry: env.SCHEMA_REGISTRY_URL ? { kind: 'http', url: env.SCHEMA_REGISTRY_URL } : { kind: 'builtin' },
    logLevel: logLevel(env.LOG_LEVEL),
  };
}

function logLevel(value: string | undefined): LogLevel {
  if (!value) return 'info';
  if ((logLevels as readonly string[]).includes(value)) return value as LogLevel;
  throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `LOG_LEVEL must be one of ${logLevels.join(', ')}, got "${value}"`);
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return parsed;
}

/** The configuration as it may be logged: no credentials. */
export function describeConfig(config: PaystreamConfig): Record<string, unknown> {
  return {
    database: config.database.kind === 'pglite' ? `PGlite at ${config.database.dataDir}` : `PostgreSQL at ${withoutCredentials(config.database.url)}`,
    eventLog: config.eventLog.kind === 'kafka' ? `Kafka at ${config.eventLog.brokers.join(',')}` : 'tables in the database',
    schemaRegistry: config.schemaRegistry.kind === 'http' ? withoutCredentials(config.schemaRegistry.url) : 'built in',
  };
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = parsed.username ? '***' : '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
