import { deleteNamespaceTopics } from './kafka-namespace.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { expect } from 'vitest';
import { startPlatform, type RunningPlatform } from '../../src/runtime/platform.ts';
import { defaultScreeningConfig, type PaystreamConfig, type ScreeningConfig } from '../../src/runtime/config.ts';
import type { ServiceTuning } from '../../src/runtime/service-catalog.ts';
import type { OrdersTuning } from '../../src/runtime/orders-app.ts';
import { freePort } from '../../src/runtime/rtgs-simulator-process.ts';
import { startRtgsSimulator } from '../../tools/rtgs-simulator/index.ts';
import type { RtgsSimulatorOptions } from '../../tools/rtgs-simulator/options.ts';
import { connect } from 'amqplib';
import { deadLetterQueueOf, queueOf } from '../../src/backbone/command-channel-rabbitmq/index.ts';
import { LoanTopics } from '../../src/contracts/loans.ts';
import { createTestDatabase, kafkaBrokers, rabbitmqUrl, type TestDatabase } from './engines.ts';
import { assertLedgerInvariants } from './ledger-invariants.ts';

export type Engine = 'embedded' | 'kafka';

/**
 * A JSON body as a test reads it: the assertions check its shape, so it is typed loosely on
 * purpose (a schema type per response would only restate what the assertions say).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type JsonBody = any;

export interface TestPlatform {
  engine: Engine;
  url: string;
  apiKey: string;
  /** The platform's data directory (the email and SMS sink, `notifications.jsonl`, is in it). */
  dataDir: string;
  platform: RunningPlatform;
  simulator: Awaited<ReturnType<typeof startRtgsSimulator>>;
  /** Calls the API with the platform's key (override with headers.authorization). */
  api(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: JsonBody; headers: Headers }>;
  openAccount(name: string, options?: { currency?: string; deposit?: string; overdraftLimit?: string }): Promise<string>;
  /** Submits a payment from `debtor`; returns the 202 body. */
  pay(debtor: string, overrides?: Partial<PaymentBody>, idempotencyKey?: string): Promise<{ paymentId: string; uetr: string }>;
  /** Waits until the payment reaches a terminal status and returns the payment view. */
  settled(paymentId: string, timeoutMs?: number): Promise<JsonBody>;
  account(iban: string): Promise<{ balance: string; reserved: string; available: string }>;
  /** Asserts the ledger invariants on the platform's database. */
  assertInvariants(): Promise<void>;
  close(): Promise<void>;
}

/** The optional ISO 20022 party details (screening, the Travel Rule). */
export interface PartyDetails {
  postalAddress?: { streetName?: string; buildingNumber?: string; postCode?: string; townName: string; country: string };
  dateOfBirth?: string;
  placeOfBirth?: { city: string; country: string };
  nationalId?: { id: string; scheme: string; issuer?: string };
}

export interface PaymentBody {
  amount: string;
  currency: string;
  debtor: { name: string; account: string; agent?: string; country?: string } & PartyDetails;
  creditor: { name: string; account: string; agent: string; country: string } & PartyDetails;
  remittanceInformation?: string;
  endToEndId?: string;
}

/** A valid IBAN at another bank (France), for payments that settle over RTGS. */
export const externalCreditor = { name: 'Bob Martin', account: 'FR1420041010050500013M02606', agent: 'BNPAFRPP', country: 'FR' };

/**
 * Fraud rules for tests that are not about fraud: the property-based payments test sends up to 25
 * payments from one account at once, which velocity (and the amount rules) would rightly hold for
 * review. The compliance tests pass `tuning: { fraud: {} }` to run on the production defaults.
 */
export const relaxedFraudRules = { velocityCount: { weight: 0 }, velocityAmount: { weight: 0 }, amountVsHistory: { weight: 0 } } as const;

export interface TestPlatformOptions {
  simulator?: Partial<RtgsSimulatorOptions>;
  tuning?: ServiceTuning;
  /** Screening configuration over the defaults (the real lists beside the repository). */
  screening?: Partial<ScreeningConfig>;
  /**
   * Wait until the sanctions lists are loaded before returning (default true): loading takes
   * seconds, and a payment screened before would wait, then fail with SCREENING_UNAVAILABLE.
   */
  awaitScreeningLists?: boolean;
  /** The Kafka to run on (brokers, SASL and TLS), instead of the test run's broker; engine 'kafka' only. */
  eventLog?: Extract<PaystreamConfig['eventLog'], { kind: 'kafka' }>;
  /** Where the platform logs; default pino at E2E_LOG_LEVEL (warn) on stdout. */
  logger?: Logger;
  /**
   * Run with the production tuning (retry delays, RTGS timings, fraud rules) instead of the short
   * ones below, for tests about what the platform looks like by default (`options.tuning` still
   * applies over it).
   */
  productionTuning?: boolean;
  /** The order flow's knobs (src/apps/orders), e.g. a fast payment recovery loop. */
  orders?: OrdersTuning;
  /** Where the order flow reaches the payment API (ORDERS_PAYMENTS_API_URL); default the platform's own URL. */
  ordersPaymentsApiUrl?: string;
  /**
   * `rabbitmq`: saga commands over the test run's RabbitMQ (SAGA_COMMAND_CHANNEL=rabbitmq), its
   * queues under a namespace of this platform's; default the event bus.
   */
  sagaCommands?: 'bus' | 'rabbitmq';
}

/**
 * The whole platform in this process (API, every service, relay) on one engine, with the RTGS
 * simulator in process too, short retry delays and a fast status chaser. Kafka runs get a
 * namespace of their own, so test runs and test files never see each other's events.
 */
export async function startTestPlatform(engine: Engine, options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const apiKey = `test-${randomBytes(16).toString('hex')}`;
  const callbackToken = randomBytes(24).toString('base64url');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'paystream-e2e-'));
  let database: TestDatabase | undefined;
  const simulator = await startRtgsSimulator({
    callbackUrl: `${url}/rtgs/v1/pacs002`,
    callbackToken,
    latencyMs: 20,
    lateDelayMs: 3_000,
    ...options.simulator,
  });
  const base: Omit<PaystreamConfig, 'database' | 'eventLog'> = {
    port,
    host: '127.0.0.1',
    schemaRegistry: { kind: 'builtin' },
    logLevel: 'warn',
    apiKey,
    namespace: undefined,
    dataDir,
    bank: { bic: 'PAYSDEFFXXX' },
    rtgs: { url: simulator.url, callbackToken, operatorBic: 'RTGSDEFFXXX', simulatorPort: undefined },
    screening: { ...defaultScreeningConfig(process.env), ...options.screening },
    ...(options.ordersPaymentsApiUrl && { orders: { paymentsApiUrl: options.ordersPaymentsApiUrl } }),
  };
  if (options.sagaCommands === 'rabbitmq') {
    base.sagaCommands = { kind: 'rabbitmq', url: rabbitmqUrl() };
    base.namespace = `e2e-${randomBytes(4).toString('hex')}`;
  }
  let config: PaystreamConfig;
  if (engine === 'kafka') {
    database = await createTestDatabase('e2e');
    config = {
      ...base,
      namespace: base.namespace ?? `e2e-${randomBytes(4).toString('hex')}`,
      database: { kind: 'postgres', url: database.url },
      eventLog: options.eventLog ?? { kind: 'kafka', brokers: kafkaBrokers(), replicationFactor: 1 },
    };
  } else {
    config = { ...base, database: { kind: 'pglite', dataDir: join(dataDir, 'db') }, eventLog: { kind: 'database' } };
  }
  const tuning: ServiceTuning = options.productionTuning
    ? { ...options.tuning }
    : {
        retryDelaysMs: [100, 200],
        rtgs: {
          timeoutMs: 1_000,
          statusChaser: { pollIntervalMs: 100, firstCheckAfterMs: 1_500, recheckIntervalMs: 500 },
          retryDelaysMs: [100, 300, 1_000],
          ...options.tuning?.rtgs,
        },
        notifications: { retryDelaysMs: [50, 100] },
        fraud: { rules: relaxedFraudRules },
        ...options.tuning,
      };
  const logger = options.logger ?? pino({ level: process.env.E2E_LOG_LEVEL ?? 'warn' });
  const platform = await startPlatform(config, logger, { tuning, ...(options.orders && { orders: options.orders }) });
  const api: TestPlatform['api'] = async (method, path, body, headers = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  await consumersJoined(url);
  if (options.awaitScreeningLists ?? true) {
    await screeningListsLoaded(api).catch(async (error: unknown) => {
      await platform.close();
      await simulator.close();
      await database?.drop();
      throw error;
    });
  }
  const fixture: TestPlatform = {
    engine,
    url,
    apiKey,
    dataDir,
    platform,
    simulator,
    api,
    async openAccount(name, accountOptions = {}) {
      const opened = await api('POST', '/v1/accounts', {
        name,
        currency: accountOptions.currency ?? 'EUR',
        ...(accountOptions.overdraftLimit ? { overdraftLimit: accountOptions.overdraftLimit } : {}),
      });
      expect(opened.status, JSON.stringify(opened.body)).toBe(201);
      if (accountOptions.deposit) {
        const deposited = await api('POST', `/v1/accounts/${opened.body.iban}/deposits`, { amount: accountOptions.deposit });
        expect(deposited.status, JSON.stringify(deposited.body)).toBe(201);
      }
      return opened.body.iban as string;
    },
    async pay(debtor, overrides = {}, idempotencyKey = randomBytes(8).toString('hex')) {
      const body: PaymentBody = {
        amount: '10.00',
        currency: 'EUR',
        debtor: { name: 'Alice Example', account: debtor },
        creditor: externalCreditor,
        ...overrides,
      };
      const response = await api('POST', '/v1/payments', body, { 'idempotency-key': idempotencyKey });
      expect(response.status, JSON.stringify(response.body)).toBe(202);
      return response.body;
    },
    async settled(paymentId, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const view = await api('GET', `/v1/payments/${paymentId}`);
        if (['COMPLETED', 'REJECTED', 'FAILED', 'BLOCKED'].includes(view.body?.status)) return view.body;
        if (Date.now() > deadline) throw new Error(`payment ${paymentId} is still ${view.body?.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async account(iban) {
      const view = await api('GET', `/v1/accounts/${iban}`);
      expect(view.status).toBe(200);
      return view.body;
    },
    assertInvariants: () => assertLedgerInvariants(platform.backbone.db),
    async close() {
      await platform.close();
      await simulator.close();
      if (config.sagaCommands?.kind === 'rabbitmq') await deleteSagaQueues(config.sagaCommands.url, config.namespace ?? '');
      if (config.eventLog.kind === 'kafka' && config.namespace) await deleteNamespaceTopics(config.eventLog.brokers, config.namespace);
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** The saga command queues (and their dead-letter queues) of a platform's namespace, deleted after its run. */
async function deleteSagaQueues(url: string, namespace: string): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    for (const destination of [LoanTopics.loanCommands, LoanTopics.ledgerCommands]) {
      const queue = queueOf({ namespace }, destination);
      await channel.deleteQueue(queue);
      await channel.deleteQueue(deadLetterQueueOf(queue));
    }
  } finally {
    await connection.close();
  }
}

async function screeningListsLoaded(api: TestPlatform['api'], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await api('GET', '/v1/screening/lists');
    if (status.status === 200 && status.body.ready === true) return;
    if (Date.now() > deadline) throw new Error(`sanctions lists not loaded after ${timeoutMs} ms: ${JSON.stringify(status.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The platform listens before its consumer groups are joined; tests start once they are. */
async function consumersJoined(url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/health/ready`);
    const body = (await response.json()) as { checks?: { consumers?: string } };
    if (body.checks?.consumers === 'ok') return;
    if (Date.now() > deadline) throw new Error(`consumer groups not joined after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
