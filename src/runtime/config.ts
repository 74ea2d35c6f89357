import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRabbitUrl } from '../backbone/command-channel-rabbitmq/index.ts';
import { BackboneError, ErrorCodes } from '../backbone/errors.ts';
import { isUrl } from '../services/screening/index.ts';
import { describeKafkaSecurity, readKafkaSecurity, type KafkaSecurityConfig } from './kafka-security.ts';

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
  database: { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string; poolSize?: number };
  /** `security`: SASL and TLS from KAFKA_SASL_* and KAFKA_TLS* (kafka-security.ts); absent means plaintext. */
  eventLog: { kind: 'database' } | { kind: 'kafka'; brokers: string[]; replicationFactor: number; security?: KafkaSecurityConfig };
  schemaRegistry: { kind: 'builtin' } | { kind: 'http'; url: string };
  logLevel: LogLevel;
  /** PAYSTREAM_API_KEY: accepted with every scope; when unset, the first start creates a key. */
  apiKey: string | undefined;
  /**
   * PAYSTREAM_NAMESPACE: a prefix (`<namespace>.`) for every Kafka topic and consumer group, and
   * for every RabbitMQ queue of the saga command channel, so several deployments share one
   * cluster and one broker. Unset: none.
   */
  namespace: string | undefined;
  /**
   * PAYSTREAM_URL: where the command line finds the running platform's API (`paystream keys`,
   * `reconcile`); unset, http://127.0.0.1:$PORT.
   */
  platformUrl?: string | undefined;
  /** Where local files go (notification sink, RTGS simulator state): PAYSTREAM_DATA_DIR. */
  dataDir: string;
  bank: { bic: string };
  rtgs: RtgsConfig;
  /**
   * Sanctions screening and the Travel Rule. `readConfig` always sets it; a config built by hand
   * (tests, benchmarks) may leave it out and gets `defaultScreeningConfig()`.
   */
  screening?: ScreeningConfig;
  /**
   * FRAUD_RULES: overrides of the fraud rules' defaults, as JSON (e.g. `{"velocityCount":{"weight":0}}`
   * for a load test that sends bursts from one account); see docs/fraud.md. Unset: the defaults.
   */
  fraudRules?: Record<string, unknown> | undefined;
  /**
   * AUTHZ_CORE_FEED: a JSON file of the simulated legacy core the authorization service runs
   * beside it (accounts, delayMs; see docs/authorization.md). Unset: no simulator.
   */
  authorizationCoreFeed?: string | undefined;
  /**
   * METRICS_LAG_PER_PARTITION=true: consumer lag per partition on `/metrics` too, beside the
   * per group and topic series (some 2,400 series more on the default platform). Unset: false.
   */
  metrics?: { lagPerPartition: boolean };
  /**
   * SAGA_COMMAND_CHANNEL: how saga commands reach their participants (`openCommandChannel` in
   * command-channel.ts): `bus` (default), events on the event bus; `rabbitmq`, RabbitMQ at
   * RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672). Replies are events on the bus either way.
   */
  sagaCommands?: { kind: 'bus' } | { kind: 'rabbitmq'; url: string };
  /**
   * The order flow (src/apps/orders). `paymentsApiUrl`, ORDERS_PAYMENTS_API_URL: the base URL of
   * the payment API its payment participant pays and refunds through (e.g. a load balancer in
   * front of the gateway processes), so a process started with `--only orders-payment` needs no
   * gateway of its own. Unset: the process's own URL.
   */
  orders?: { paymentsApiUrl?: string | undefined };
}

/**
 * Where the sanctions lists are and the screening stage's policy. Lists are files in their
 * published formats, on disk or at http(s) URLs; the defaults are the copies under
 * `../shared/data/sanctions/` beside the repository (or under PAYSTREAM_SANCTIONS_DIR), as the
 * engine's own tests use.
 */
export interface ScreeningConfig {
  /** SANCTIONS_OFAC_DIR: the directory (or http(s) base URL) of OFAC's `sdn.csv`, `alt.csv`, `add.csv`. */
  ofacDir: string;
  /** SANCTIONS_UN_FILE: the UN Security Council Consolidated List (`UN_consolidated.xml`), a path or an http(s) URL. */
  unFile: string;
  /** PEP_FILE: a PEP list (CSV `id,name,country,position`), a path or an http(s) URL; unset, no PEP screening. */
  pepFile: string | undefined;
  /** SANCTIONS_POLL_INTERVAL_MS: how often the list files are checked for a change. Default 30 s. */
  listPollIntervalMs: number;
  /**
   * SCREENING_EXTRA_LISTS: lists used only by the corridors that name them, JSON
   * `[{"kind": "pep-csv", "listId": "PEP-ZW", "path": "/srv/lists/zw-pep.csv"}]` (kinds as the
   * engine's `ListSource`). Default none.
   */
  extraLists: unknown[];
  /**
   * SCREENING_CORRIDOR_RULES: per corridor (`ZWE-ZAF`), stricter thresholds and extra lists, JSON
   * `{"ZWE-ZAF": {"thresholds": {"medium": 0.8}, "extraLists": ["PEP-ZW"]}}`. Validated by the
   * screening stage at construction. Default none.
   */
  corridorRules: Record<string, unknown>;
  /**
   * TRAVEL_RULE_THRESHOLDS: `USD=3000.00,EUR=1000.00`, merged over the defaults (USD 3,000, EUR
   * 1,000, SGD 1,500): above its currency's threshold a payment must carry full originator and
   * beneficiary information.
   */
  travelRuleThresholds: Record<string, string>;
  /** TRAVEL_RULE_DEFAULT_THRESHOLD: for currencies without their own, in the payment's currency. Default 1000.00. */
  travelRuleDefaultThreshold: string;
}

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The screening configuration with nothing set: the lists beside the repository, the FATF defaults. */
export function defaultScreeningConfig(env: NodeJS.ProcessEnv = {}): ScreeningConfig {
  const sanctionsDirectory = env.PAYSTREAM_SANCTIONS_DIR || resolve(repositoryRoot, '../shared/data/sanctions');
  return {
    ofacDir: resolve(sanctionsDirectory, 'ofac'),
    unFile: resolve(sanctionsDirectory, 'un/UN_consolidated.xml'),
    pepFile: undefined,
    listPollIntervalMs: 30_000,
    extraLists: [],
    corridorRules: {},
    travelRuleThresholds: { USD: '3000.00', EUR: '1000.00', SGD: '1500.00' },
    travelRuleDefaultThreshold: '1000.00',
  };
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
  const kafkaSecurity = readKafkaSecurity(env, brokers.length > 0);
  if (env.RTGS_URL && !env.RTGS_CALLBACK_TOKEN)
    throw new BackboneError(
      ErrorCodes.INVALID_OPTIONS,
      'RTGS_URL needs RTGS_CALLBACK_TOKEN: the secret the network presents on pacs.002 callbacks',
    );
  return {
    port: integer(env.PORT, 'PORT', 3000, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    database: env.DATABASE_URL
      ? { kind: 'postgres', url: env.DATABASE_URL, poolSize: integer(env.DATABASE_POOL_SIZE, 'DATABASE_POOL_SIZE', 20, 2, 500) }
      : { kind: 'pglite', dataDir: resolve(env.PAYSTREAM_DATA_DIR || '.paystream') },
    eventLog:
      brokers.length > 0
        ? {
            kind: 'kafka',
            brokers,
            replicationFactor: integer(env.KAFKA_REPLICATION_FACTOR, 'KAFKA_REPLICATION_FACTOR', Math.min(3, brokers.length), 1, 32),
            security: kafkaSecurity,
          }
        : { kind: 'database' },
    schemaRegistry: env.SCHEMA_REGISTRY_URL ? { kind: 'http', url: env.SCHEMA_REGISTRY_URL } : { kind: 'builtin' },
    logLevel: logLevel(env.LOG_LEVEL),
    apiKey: env.PAYSTREAM_API_KEY || undefined,
    namespace: env.PAYSTREAM_NAMESPACE || undefined,
    platformUrl: env.PAYSTREAM_URL || undefined,
    dataDir: resolve(env.PAYSTREAM_DATA_DIR || '.paystream'),
    bank: { bic: bic(env.PAYSTREAM_BIC, 'PAYSTREAM_BIC', 'PAYSDEFFXXX') },
    rtgs: {
      url: env.RTGS_URL || undefined,
      callbackToken: env.RTGS_CALLBACK_TOKEN || undefined,
      operatorBic: bic(env.RTGS_OPERATOR_BIC, 'RTGS_OPERATOR_BIC', 'RTGSDEFFXXX'),
      simulatorPort: env.RTGS_SIMULATOR_PORT ? integer(env.RTGS_SIMULATOR_PORT, 'RTGS_SIMULATOR_PORT', 0, 0, 65_535) : undefined,
    },
    screening: screeningConfig(env),
    metrics: { lagPerPartition: boolean(env.METRICS_LAG_PER_PARTITION, 'METRICS_LAG_PER_PARTITION', false) },
    sagaCommands: sagaCommandChannel(env),
    orders: { paymentsApiUrl: httpBaseUrl(env.ORDERS_PAYMENTS_API_URL, 'ORDERS_PAYMENTS_API_URL') },
    authorizationCoreFeed: env.AUTHZ_CORE_FEED ? resolve(env.AUTHZ_CORE_FEED) : undefined,
    fraudRules: json(
      env.FRAUD_RULES,
      'FRAUD_RULES',
      undefined,
      (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    ) as Record<string, unknown> | undefined,
  };
}

function sagaCommandChannel(env: NodeJS.ProcessEnv): NonNullable<PaystreamConfig['sagaCommands']> {
  const kind = env.SAGA_COMMAND_CHANNEL || 'bus';
  if (kind === 'bus') return { kind: 'bus' };
  if (kind !== 'rabbitmq')
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `SAGA_COMMAND_CHANNEL must be bus or rabbitmq, got "${kind}"`);
  const url = env.RABBITMQ_URL || defaultRabbitUrl;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') || !parsed.hostname)
    // The URL itself is not repeated: it may hold a password.
    throw new BackboneError(
      ErrorCodes.INVALID_OPTIONS,
      'RABBITMQ_URL must be an amqp:// or amqps:// URL with a host, e.g. amqp://user:password@mq.example:5672/vhost',
    );
  return { kind: 'rabbitmq', url };
}

/** An http(s) base URL with a host and nothing after the path (the trailing slash dropped), or undefined when unset. */
function httpBaseUrl(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname || parsed.search || parsed.hash)
    // The value itself is not repeated: it may hold credentials.
    throw new BackboneError(
      ErrorCodes.INVALID_OPTIONS,
      `${name} must be an http:// or https:// URL with a host, e.g. https://payments.bank.example`,
    );
  if (parsed.username || parsed.password)
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} must not hold credentials: the order flow calls with its own API key`);
  return value.replace(/\/+$/, '');
}

function screeningConfig(env: NodeJS.ProcessEnv): ScreeningConfig {
  const defaults = defaultScreeningConfig(env);
  return {
    ofacDir: env.SANCTIONS_OFAC_DIR ? pathOrUrl(env.SANCTIONS_OFAC_DIR) : defaults.ofacDir,
    unFile: env.SANCTIONS_UN_FILE ? pathOrUrl(env.SANCTIONS_UN_FILE) : defaults.unFile,
    pepFile: env.PEP_FILE ? pathOrUrl(env.PEP_FILE) : undefined,
    listPollIntervalMs: integer(
      env.SANCTIONS_POLL_INTERVAL_MS,
      'SANCTIONS_POLL_INTERVAL_MS',
      defaults.listPollIntervalMs,
      1_000,
      86_400_000,
    ),
    extraLists: json(env.SCREENING_EXTRA_LISTS, 'SCREENING_EXTRA_LISTS', defaults.extraLists, Array.isArray),
    corridorRules: json(
      env.SCREENING_CORRIDOR_RULES,
      'SCREENING_CORRIDOR_RULES',
      defaults.corridorRules,
      (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    ),
    travelRuleThresholds: { ...defaults.travelRuleThresholds, ...currencyAmounts(env.TRAVEL_RULE_THRESHOLDS, 'TRAVEL_RULE_THRESHOLDS') },
    travelRuleDefaultThreshold: env.TRAVEL_RULE_DEFAULT_THRESHOLD || defaults.travelRuleDefaultThreshold,
  };
}

/** `USD=3000.00,EUR=1000` → `{ USD: '3000.00', EUR: '1000' }`; the amounts are checked by the screening stage. */
function currencyAmounts(value: string | undefined, name: string): Record<string, string> {
  const amounts: Record<string, string> = {};
  for (const item of list(value)) {
    const match = /^([A-Z]{3})=(\S+)$/.exec(item);
    if (!match) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} must be a list like USD=3000.00,EUR=1000.00, got "${item}"`);
    amounts[match[1]!] = match[2]!;
  }
  return amounts;
}

function json<T>(value: string | undefined, name: string, fallback: T, valid: (parsed: unknown) => boolean): T {
  if (value === undefined || value === '') return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (!valid(parsed)) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} has the wrong shape (see docs/screening.md)`);
  return parsed as T;
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

function boolean(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} must be true or false, got "${value}"`);
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max)
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return parsed;
}

/** The configuration as it may be logged: no credentials. */
export function describeConfig(config: PaystreamConfig): Record<string, unknown> {
  return {
    database:
      config.database.kind === 'pglite'
        ? `PGlite at ${config.database.dataDir}`
        : `PostgreSQL at ${withoutCredentials(config.database.url)}`,
    eventLog:
      config.eventLog.kind === 'kafka'
        ? `Kafka at ${config.eventLog.brokers.join(',')}${config.eventLog.security ? ` (${describeKafkaSecurity(config.eventLog.security)})` : ''}`
        : 'tables in the database',
    schemaRegistry: config.schemaRegistry.kind === 'http' ? withoutCredentials(config.schemaRegistry.url) : 'built in',
    sagaCommands: config.sagaCommands?.kind === 'rabbitmq' ? `RabbitMQ at ${withoutCredentials(config.sagaCommands.url)}` : 'the event bus',
    ordersPaymentsApi: config.orders?.paymentsApiUrl ?? "this process's own URL",
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

/** A list location: an http(s) URL as given, a path made absolute. */
function pathOrUrl(location: string): string {
  return isUrl(location) ? location : resolve(location);
}
