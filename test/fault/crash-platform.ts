/**
 * The set-up the process crash tests share (payments-crash, orders-crash): a work directory for
 * the processes' logs and data, kept when the test fails; the platform split over `paystream start
 * --only …` processes beside the RTGS simulator in a process of its own, on the embedded engine or
 * on Kafka and a PostgreSQL database of the test's own; and, whatever happens, every process
 * killed and the database dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../src/runtime/rtgs-simulator-process.ts';
import { RtgsProtocol } from '../../src/contracts/iso20022/rtgs-protocol.ts';
import { createTestDatabase, kafkaBrokers, type TestDatabase } from '../support/engines.ts';
import { deleteNamespaceTopics } from '../support/kafka-namespace.ts';
import { baseEnvironment, platformProcess, simulatorProcess, type RestartableProcess } from './payments-crash-processes.ts';

export type CrashEngine = 'kafka' | 'embedded';

/** Which services each platform process runs (undefined: all of them). */
export type CrashLayout = readonly { name: string; only: readonly string[] | undefined }[];

/** What a crash test's run leaves to clean up; `passed` decides whether the logs are kept. */
export interface CrashWorkspace {
  readonly workDir: string;
  readonly processes: RestartableProcess[];
  database: TestDatabase | undefined;
  /** The Kafka namespace of the platform started in it, whose topics are deleted at the end. */
  namespace: string | undefined;
  passed: boolean;
}

/**
 * Registers the describe block's beforeAll and afterAll: a fresh work directory, and at the end
 * every process killed (also when the test runner exits early), the database dropped, and the
 * logs removed unless the test failed or PAYSTREAM_CRASH_KEEP_LOGS=1.
 */
export function crashWorkspace(label: string): CrashWorkspace {
  const keepLogs = process.env.PAYSTREAM_CRASH_KEEP_LOGS === '1';
  const processes: RestartableProcess[] = [];
  const killAllNow = () => processes.forEach((child) => child.killNow());
  let workDir = '';
  const workspace: CrashWorkspace = {
    get workDir() {
      return workDir;
    },
    processes,
    database: undefined,
    namespace: undefined,
    passed: false,
  };
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), `paystream-${label}-`));
    process.once('exit', killAllNow);
  });
  afterAll(async () => {
    process.removeListener('exit', killAllNow);
    await Promise.all(processes.map((child) => child.kill()));
    await workspace.database?.drop();
    if (workspace.namespace) await deleteNamespaceTopics(kafkaBrokers(), workspace.namespace);
    if (workspace.passed && !keepLogs) await rm(workDir, { recursive: true, force: true });
    else console.log(`[${label}] the processes' logs are kept in ${workDir}`);
  }, 60_000);
  return workspace;
}

export interface CrashPlatformOptions {
  engine: CrashEngine;
  layout: CrashLayout;
  apiKey: string;
  bankBic: string;
  /** The secret the simulator presents on its pacs.002 callbacks. */
  callbackToken: string;
  /** The processes' LOG_LEVEL. */
  logLevel: string;
  /** The test database's name and the Kafka namespace's prefix (the engine 'kafka'). */
  databaseName: string;
  namespacePrefix: string;
  startTimeoutMs: number;
  log: (message: string) => void;
}

export interface CrashPlatform {
  /** The platform processes' environment (RTGS_URL, PAYSTREAM_DATA_DIR, … included). */
  env: NodeJS.ProcessEnv;
  simulator: RestartableProcess;
  /** In the layout's order. */
  platform: RestartableProcess[];
  /** The URL of the process that runs `service`. */
  urlServing(service: string): string;
}

/**
 * Starts the simulator, then the layout's first process (it provisions every topic: started
 * together, processes race to create them and the losers fail to start, which is not what these
 * tests are about), then the others. The processes go into `workspace.processes` as they are made,
 * so the workspace kills them whatever happens next.
 */
export async function startCrashPlatform(workspace: CrashWorkspace, options: CrashPlatformOptions): Promise<CrashPlatform> {
  const { workDir } = workspace;
  const env = baseEnvironment();
  Object.assign(env, {
    PAYSTREAM_API_KEY: options.apiKey,
    PAYSTREAM_DATA_DIR: join(workDir, 'data'),
    PAYSTREAM_BIC: options.bankBic,
    LOG_LEVEL: options.logLevel,
    // Hundreds of payments per account in two minutes is a burst by the fraud rules' standards:
    // with them on, nearly every payment would wait for a compliance officer. Off here; the
    // compliance tests cover them.
    FRAUD_RULES: JSON.stringify({
      velocityCount: { weight: 0 },
      velocityAmount: { weight: 0 },
      amountVsHistory: { weight: 0 },
      newBeneficiary: { weight: 0 },
    }),
  });
  if (options.engine === 'kafka') {
    workspace.database = await createTestDatabase(options.databaseName);
    workspace.namespace = `${options.namespacePrefix}-${randomBytes(4).toString('hex')}`;
    Object.assign(env, {
      DATABASE_URL: workspace.database.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_REPLICATION_FACTOR: '1',
      PAYSTREAM_NAMESPACE: workspace.namespace,
    });
  }
  const ports = new Map<string, number>();
  for (const { name } of options.layout) ports.set(name, await freePort());
  const simulatorPort = await freePort();
  const urlServing = (service: string) => {
    const entry = options.layout.find((candidate) => candidate.only === undefined || candidate.only.includes(service));
    if (!entry) throw new Error(`no process of the layout runs ${service}`);
    return `http://127.0.0.1:${ports.get(entry.name)}`;
  };
  Object.assign(env, { RTGS_URL: `http://127.0.0.1:${simulatorPort}`, RTGS_CALLBACK_TOKEN: options.callbackToken });
  const simulator = simulatorProcess({
    port: simulatorPort,
    callbackUrl: `${urlServing('rtgs')}${RtgsProtocol.callbackPath}`,
    callbackToken: options.callbackToken,
    dataFile: join(workDir, 'rtgs-simulator.jsonl'),
    latencyMs: 50,
    env: baseEnvironment(),
    logFile: join(workDir, 'simulator.log'),
  });
  const platform = options.layout.map(({ name, only }) =>
    platformProcess({ name, only, port: ports.get(name)!, env, logFile: join(workDir, `${name}.log`) }),
  );
  workspace.processes.push(simulator, ...platform);
  await simulator.start();
  await platform[0]!.start(options.startTimeoutMs);
  options.log(`${platform[0]!.name} ready (topics provisioned)`);
  await Promise.all(platform.slice(1).map((child) => child.start(options.startTimeoutMs)));
  options.log(
    `started ${platform.map((child) => `${child.name} (pid ${child.pid})`).join(', ')} and the RTGS simulator (pid ${simulator.pid})`,
  );
  return { env, simulator, platform, urlServing };
}
