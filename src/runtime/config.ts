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
  /** PAYSTREAM_API_KEY: accepted with every scope; when unset, the first start creates a key. */
  apiKey: string | undefined;
  /**
   * PAYSTREAM_NAMESPACE: a prefix (`<namespace>.`) for every Kafka topic and consumer group, so
   * several deployments share one cluster. Unset: none.
   */
  namespace: string | undefined;
  /** Where local files go (notification sink, RTGS simulator state): PAYSTREAM_DATA_DIR. */
  dataDir: string;
  bank: { bic: string };
  rtgs: RtgsConfig;
}

/**
 * The RTGS network: RTGS_URL names a real (or separately run) one; without it `paystream start`
 * runs the simulator as a child process. The callback token is the shared secret the network
 * presents on pacs.002 callbacks (RTGS_CALLBACK_TOKEN; a random one per run with the simulator).
 */
export interface RtgsConfig {
  url: string | undefined;
  callbackToken: string | undefined;
  operatorBic: string;
  simulatorPort: number | undefined;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof logLevels)[number];

export function readConfig(env: NodeJS.ProcessEnv): PaystreamConfig {
  const brokers = list(env.KAFKA_BROKERS);
  if (env.RTGS_URL && !env.RTGS_CALLBACK_TOKEN) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, 'RTGS_URL needs RTGS_CALLBACK_TOKEN: the secret the network presents on pacs.002 callbacks');
  return {
    port: integer(env.PORT, 'PORT', 3000, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    database: env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL } : { kind: 'pglite', dataDir: resolve(env.PAYSTREAM_DATA_DIR || '.paystream') },
    eventLog: brokers.length > 0 ? { kind: 'kafka', brokers, replicationFactor: integer(env.KAFKA_REPLICATION_FACTOR, 'KAFKA_REPLICATION_FACTOR', Math.min(3, brokers.length), 1, 32) } : { kind: 'database' },
    schemaRegistry: env.SCHEMA_REGISTRY_URL ? { kind: 'http', url: env.SCHEMA_REGISTRY_URL } : { kind: 'builtin' },
    logLevel: logLevel(env.LOG_LEVEL),
    apiKey: env.PAYSTREAM_API_KEY || undefined,
    namespace: env.PAYSTREAM_NAMESPACE || undefined,
    dataDir: resolve(env.PAYSTREAM_DATA_DIR || '.paystream'),
    bank: { bic: bic(env.PAYSTREAM_BIC, 'PAYSTREAM_BIC', 'PAYSDEFFXXX') },
    rtgs: {
      url: env.RTGS_URL || undefined,
      callbackToken: env.RTGS_CALLBACK_TOKEN || undefined,
      operatorBic: bic(env.RTGS_OPERATOR_BIC, 'RTGS_OPERATOR_BIC', 'RTGSDEFFXXX'),
      simulatorPort: env.RTGS_SIMULATOR_PORT ? integer(env.RTGS_SIMULATOR_PORT, 'RTGS_SIMULATOR_PORT', 0, 0, 65_535) : undefined,
    },
  };
}

function logLevel(value: string | undefined): LogLevel {
  if (!value) return 'info';
  if ((logLevels as readonly string[]).includes(value)) return value as LogLevel;
  throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `LOG_LEVEL must be one of ${logLevels.join(', ')}, got "${value}"`);
}

function bic(value: string | undefined, name: string, fallback: string): string {
  if (!value) return fallback;
  if (/^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(value)) return value;
  throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} must be a BIC (8 or 11 characters), got "${value}"`);
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
