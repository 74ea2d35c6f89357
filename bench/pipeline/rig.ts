/**
 * The platform under test and everything around it, on either engine: a scratch PostgreSQL
 * database and a namespace of its own on the Kafka broker (Kafka engine) or a temporary PGlite data
 * directory (embedded engine); the RTGS simulator in a process of its own; the platform in another
 * (platform-process.ts), or, on Kafka with `replicas` > 1, in that many processes each running every
 * service (as a bank runs replicas behind a load balancer: the consumer groups split the partitions
 * among them, one relay and one audit chainer are active). The driver (this process) generates the
 * load over HTTP and reads the platform's database through it, so these processes and the database
 * split the CPU, and each one's share is read from /proc.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { KafkaTopicAdmin } from '../../src/backbone/messaging-kafka/kafka-topic-admin.ts';
import { freePort } from '../../src/runtime/rtgs-simulator-process.ts';
import type { PaystreamConfig } from '../../src/runtime/config.ts';
import type { ServiceTuning } from '../../src/runtime/service-catalog.ts';
import { assertKafkaReachable, createScratchDatabase, createTempDir, type Cleanup } from '../support/environment.ts';
import { CpuAccount, type CpuSample } from '../support/cpu.ts';
import { progress } from '../support/progress.ts';
import type { PlatformMessage, PlatformProcessConfig, PlatformRequest } from './platform-process.ts';
import type { SimulatorMessage, SimulatorProcessConfig } from './simulator-process.ts';

const platformScript = fileURLToPath(new URL('./platform-process.ts', import.meta.url));
const simulatorScript = fileURLToPath(new URL('./simulator-process.ts', import.meta.url));

/** PostgreSQL's counters for the scratch database (`pg_stat_database`), cumulative. */
export interface DatabaseWork {
  transactions: number;
  /** Rows returned by sequential scans plus rows fetched through indexes. */
  rowsRead: number;
  /** Rows inserted, updated and deleted. */
  rowsWritten: number;
}

export interface RigSettings {
  engine: 'kafka' | 'embedded';
  /** Kafka engine: the broker and the PostgreSQL server on which the scratch database is made. */
  kafkaBrokers: string[];
  databaseServerUrl: string;
  /** The RTGS simulator's time from accepting a pacs.008 to deciding it. */
  rtgsLatencyMs: number;
  /** Records per batch of the RTGS gateway's consumer; undefined keeps the service's default (20). */
  rtgsMaxBatchRecords: number | undefined;
  /** The platform's PostgreSQL connections (Kafka engine). */
  poolSize: number;
  logLevel: PaystreamConfig['logLevel'];
  /** Run only these services (a what-if: which service costs what); empty: every service. */
  services: string[];
  /** Run the platform with `--cpu-prof`, its profile written into this directory on exit. */
  cpuProfileDir: string | undefined;
  /** Kafka engine: platform processes, each running the services (1: one process). */
  replicas: number;
}

export class PipelineRig {
  /** The API of every platform process; the load spreads over them. */
  readonly urls: readonly string[];
  readonly apiKey: string;
  /** The first platform process: it answers the driver's queries. */
  readonly #platform: ChildProcess;
  /** The others (`replicas` > 1). */
  readonly #replicas: readonly ChildProcess[];
  readonly #simulator: ChildProcess;
  readonly #admin: pg.Client | undefined;
  readonly #databaseName: string | undefined;
  readonly #cpu = new CpuAccount();
  readonly #pending = new Map<number, PromiseWithResolvers<Record<string, unknown>[]>>();
  readonly #stopped = Promise.withResolvers<void>();
  #nextQueryId = 1;

  private constructor(parts: {
    urls: string[];
    apiKey: string;
    platform: ChildProcess;
    replicas: ChildProcess[];
    simulator: ChildProcess;
    admin: pg.Client | undefined;
    databaseName: string | undefined;
  }) {
    this.urls = parts.urls;
    this.apiKey = parts.apiKey;
    this.#platform = parts.platform;
    this.#replicas = parts.replicas;
    this.#simulator = parts.simulator;
    this.#admin = parts.admin;
    this.#databaseName = parts.databaseName;
    this.#platform.on('message', (raw) => {
      const message = raw as PlatformMessage;
      if (message.type === 'rows') this.#settle(message.id)?.resolve(message.rows);
      else if (message.type === 'query-failed') this.#settle(message.id)?.reject(new Error(`platform query failed: ${message.message}`));
      else if (message.type === 'stopped') this.#stopped.resolve();
    });
    this.#platform.once('exit', (code, signal) => {
      const error = new Error(`the platform process exited (${signal ?? `code ${code}`})`);
      for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(error);
      this.#stopped.resolve();
    });
  }

  static async open(settings: RigSettings, cleanup: Cleanup): Promise<PipelineRig> {
    const dataDir = await createTempDir('ps-bench-pipeline-');
    cleanup.add(`removing ${dataDir.path}`, () => dataDir.remove());
    const suffix = randomBytes(4).toString('hex');
    const apiKey = `bench-${randomBytes(16).toString('hex')}`;
    const callbackToken = randomBytes(24).toString('base64url');
    if (settings.replicas > 1 && settings.engine !== 'kafka')
      throw new Error('replicas need the Kafka engine: a PGlite database belongs to one process');
    const [port, simulatorPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const base: Omit<PaystreamConfig, 'database' | 'eventLog'> = {
      port,
      host: '127.0.0.1',
      schemaRegistry: { kind: 'builtin' },
      logLevel: settings.logLevel,
      apiKey,
      namespace: undefined,
      dataDir: dataDir.path,
      bank: { bic: 'PAYSDEFFXXX' },
      rtgs: { url: `http://127.0.0.1:${simulatorPort}`, callbackToken, operatorBic: 'RTGSDEFFXXX', simulatorPort: undefined },
      // The load sends a few payments a second from each of its accounts, a burst by the fraud
      // rules' standards (velocity, amount vs a short history): those rules would hold nearly
      // every payment for review. They are off here; the rest of the flow runs as in production.
      fraudRules: { velocityCount: { weight: 0 }, velocityAmount: { weight: 0 }, amountVsHistory: { weight: 0 } },
    };
    let config: PaystreamConfig;
    let admin: pg.Client | undefined;
    let databaseName: string | undefined;
    if (settings.engine === 'kafka') {
      await assertKafkaReachable(settings.kafkaBrokers);
      const scratch = await createScratchDatabase(settings.databaseServerUrl);
      cleanup.add(`dropping database ${scratch.name}`, () => scratch.drop());
      databaseName = scratch.name;
      config = {
        ...base,
        namespace: `bench-${suffix}`,
        database: { kind: 'postgres', url: scratch.url, poolSize: settings.poolSize },
        eventLog: { kind: 'kafka', brokers: settings.kafkaBrokers, replicationFactor: 1 },
      };
      progress(`kafka engine: brokers ${settings.kafkaBrokers.join(',')}, scratch database ${scratch.name}, namespace ${config.namespace}`);
      // The driver's own connection, to find the backends serving the scratch database (their CPU).
      admin = new pg.Client({ connectionString: settings.databaseServerUrl, application_name: 'bench-driver' });
      await admin.connect();
      cleanup.add('closing the driver connection', () => admin!.end());
    } else {
      config = { ...base, database: { kind: 'pglite', dataDir: join(dataDir.path, 'db') }, eventLog: { kind: 'database' } };
      progress(`embedded engine: PGlite (worker thread) in ${config.database.kind === 'pglite' ? config.database.dataDir : ''}`);
    }

    const simulator = fork(simulatorScript, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    cleanup.add('stopping the RTGS simulator', () => stopChild(simulator, 5_000));
    const simulatorConfig: SimulatorProcessConfig = {
      port: simulatorPort,
      callbackUrl: `${url}/rtgs/v1/pacs002`,
      callbackToken,
      latencyMs: settings.rtgsLatencyMs,
    };
    simulator.send(simulatorConfig);
    const simulatorReady = await firstMessage<SimulatorMessage>(simulator, 'the RTGS simulator');
    if (simulatorReady.type === 'failed') throw new Error(`the RTGS simulator failed: ${simulatorReady.message}`);
    progress(`RTGS simulator (its own process, pid ${simulator.pid}) at ${simulatorReady.url}, latencyMs ${settings.rtgsLatencyMs}`);

    const tuning: ServiceTuning =
      settings.rtgsMaxBatchRecords === undefined ? {} : { rtgs: { maxBatchRecords: settings.rtgsMaxBatchRecords } };
    const startPlatform = async (
      platformConfig: PaystreamConfig,
    ): Promise<{ child: ChildProcess; ready: Extract<PlatformMessage, { type: 'ready' }> }> => {
      const execArgv = settings.cpuProfileDir
        ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${settings.cpuProfileDir}`]
        : process.execArgv;
      // stdout of the platform goes to our stderr: the bench's stdout belongs to the result.
      const child = fork(platformScript, [], { serialization: 'advanced', stdio: ['ignore', 2, 'inherit', 'ipc'], execArgv });
      child.send({ config: platformConfig, tuning, only: settings.services } satisfies PlatformProcessConfig);
      const ready = await firstMessage<PlatformMessage>(child, 'the platform');
      if (ready.type !== 'ready') {
        await stopChild(child, 1_000);
        throw new Error(`the platform failed to start: ${ready.type === 'failed' ? ready.message : ready.type}`);
      }
      return { child, ready };
    };
    // The first process migrates the database and provisions the topics; the replicas then join.
    const { child: platform, ready } = await startPlatform(config);
    if (ready.topics.length > 0) {
      cleanup.add(`deleting ${ready.topics.length} topics of ${config.namespace}`, async () => {
        const topicAdmin = new KafkaTopicAdmin({ bootstrapBrokers: settings.kafkaBrokers });
        try {
          await topicAdmin.deleteTopics(ready.topics);
        } finally {
          await topicAdmin.close();
        }
      });
    }
    const replicas: { child: ChildProcess; ready: Extract<PlatformMessage, { type: 'ready' }> }[] = [];
    const stopReplicas = () => Promise.all(replicas.map(({ child }) => stopPlatformProcess(child))).then(() => {});
    cleanup.add('stopping the platform replicas', stopReplicas);
    try {
      for (let i = 1; i < settings.replicas; i++) replicas.push(await startPlatform({ ...config, port: await freePort() }));
      for (const { ready: replica } of [{ ready }, ...replicas]) await screeningListsLoaded(replica.url, apiKey);
    } catch (error) {
      await stopChild(platform, 5_000);
      throw error;
    }
    const urls = [ready.url, ...replicas.map((replica) => replica.ready.url)];
    const rig = new PipelineRig({
      urls,
      apiKey,
      platform,
      replicas: replicas.map((replica) => replica.child),
      simulator,
      admin,
      databaseName,
    });
    cleanup.add('stopping the platform', () => rig.stop());
    const pids = [platform.pid, ...replicas.map((replica) => replica.child.pid)].join(', ');
    progress(
      `platform (${urls.length === 1 ? 'its own process' : `${urls.length} processes`}, pid ${pids}) at ${urls.join(', ')}${settings.cpuProfileDir ? `, profiling into ${settings.cpuProfileDir}` : ''}`,
    );
    return rig;
  }

  /** A read of the platform's database, run by the platform process on its own connection pool. */
  query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
    const id = this.#nextQueryId++;
    const pending = Promise.withResolvers<Record<string, unknown>[]>();
    this.#pending.set(id, pending);
    if (!this.#platform.connected) this.#settle(id)?.reject(new Error('the platform process is gone'));
    else this.#platform.send({ type: 'query', id, sql, params } satisfies PlatformRequest);
    return pending.promise as Promise<Row[]>;
  }

  /**
   * Cumulative CPU per component: the platform's process (with PGlite's worker thread on the
   * embedded engine), the PostgreSQL backends serving the scratch database, the RTGS simulator,
   * this driver (the load generator); the broker is in the rest of the machine.
   */
  async sampleCpu(): Promise<CpuSample> {
    const backends = this.#admin
      ? (await this.#admin.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1`, [this.#databaseName])).rows.map(
          (row) => row.pid,
        )
      : [];
    const components: Record<string, number[]> = {
      platform: [this.#platform, ...this.#replicas].map((child) => child.pid!),
      ...(this.#admin ? { postgres: backends } : {}),
      'rtgs simulator': [this.#simulator.pid!],
      'driver (load)': [process.pid],
    };
    return this.#cpu.sample(components);
  }

  /**
   * Cumulative work of PostgreSQL on the scratch database (Kafka engine; undefined on the embedded
   * one, whose PGlite keeps no such counters): transactions committed and rows read, written.
   * PostgreSQL's backends report their counters at most once a second, so over a window of tens
   * of seconds the figures are accurate to a second's work.
   */
  async sampleDatabaseWork(): Promise<DatabaseWork | undefined> {
    if (!this.#admin) return undefined;
    const result = await this.#admin.query<{ transactions: string; read: string; written: string }>(
      `select xact_commit + xact_rollback as transactions, tup_returned + tup_fetched as read, tup_inserted + tup_updated + tup_deleted as written
         from pg_stat_database where datname = $1`,
      [this.#databaseName],
    );
    const row = result.rows[0];
    return row ? { transactions: Number(row.transactions), rowsRead: Number(row.read), rowsWritten: Number(row.written) } : undefined;
  }

  /** Graceful: the platform finishes its batches and exits (writing its CPU profile, if asked for). */
  async stop(): Promise<void> {
    await Promise.all(this.#replicas.map((child) => stopPlatformProcess(child)));
    if (this.#platform.exitCode !== null || this.#platform.signalCode !== null) return;
    if (this.#platform.connected) this.#platform.send({ type: 'stop' } satisfies PlatformRequest);
    const timer = setTimeout(() => this.#platform.kill('SIGKILL'), 30_000);
    try {
      await this.#stopped.promise;
      if (this.#platform.exitCode === null && this.#platform.signalCode === null)
        await new Promise((resolve) => this.#platform.once('exit', resolve));
    } finally {
      clearTimeout(timer);
    }
  }

  #settle(id: number): PromiseWithResolvers<Record<string, unknown>[]> | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    return pending;
  }
}

function firstMessage<Message>(child: ChildProcess, what: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`${what} exited before it was ready (${signal ?? `code ${code}`})`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as Message);
    });
  });
}

/** A replica's graceful stop (the first process's goes through `PipelineRig.stop`, which waits for its answer). */
async function stopPlatformProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.connected) child.send({ type: 'stop' } satisfies PlatformRequest);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

function stopChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Payments wait (and retry) while the sanctions lists load; the load starts once they are in. */
async function screeningListsLoaded(url: string, apiKey: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/v1/screening/lists`, { headers: { authorization: `Bearer ${apiKey}` } });
    if (response.ok && ((await response.json()) as { ready?: boolean }).ready === true) return;
    if (Date.now() > deadline) throw new Error(`the sanctions lists were not loaded after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
