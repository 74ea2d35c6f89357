/**
 * The Kafka broker of a test run, for the global setup: the cluster named by KAFKA_BROKERS, or a
 * local single-node broker that scripts/kafka/kafka.sh starts (or that is already running in the
 * same directory, e.g. one a developer started with `npm run kafka start`).
 *
 * Several test runs may share the local broker (two terminals, or a watch run beside a full run).
 * Each run holds a lease file in the broker's directory while it uses it. At the end, the last run
 * out stops the broker if a test run started it (this one, or an earlier one that was killed before
 * its teardown); a broker started by hand is left alone.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeKafka } from '../../scripts/kafka/probe.ts';
import { isAlive, messageOf } from './processes.ts';

export interface TestKafka {
  /** Bootstrap addresses, or null when Kafka is unavailable (see `unavailableReason`). */
  brokers: string[] | null;
  unavailableReason: string | null;
  /** Ends this run's use of the broker; stops it if this run started it and nobody else uses it. */
  release(): Promise<void>;
}

export interface TestKafkaOptions {
  /** KAFKA_BROKERS: a comma-separated list; when set, nothing is started. */
  brokersFromEnv: string | undefined;
  /** Port of a broker this run starts itself. */
  localPort: number;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const kafkaScript = join(repoRoot, 'scripts/kafka/kafka.sh');
/** Same directory as `kafka.sh start` without --dir, so a broker started by hand is reused. */
const localBrokerDir = join(tmpdir(), `paystream-kafka-${userInfo().uid}`);
/** Holds the pid of a broker that a test run started (kafka.sh writes the pid to kafka.pid). */
const startedByTestsFile = join(localBrokerDir, 'started-by-tests');
/** On a new machine the first start also fetches the Kafka jars with Maven. */
const startTimeoutMs = 5 * 60_000;
const statusTimeoutMs = 30_000;
const stopTimeoutMs = 60_000;
const externalProbeTimeoutMs = 30_000;

export async function acquireTestKafka(options: TestKafkaOptions): Promise<TestKafka> {
  if (options.brokersFromEnv !== undefined && options.brokersFromEnv.trim() !== '') {
    return useExternalKafka(options.brokersFromEnv);
  }
  return useLocalBroker(options.localPort);
}

async function useExternalKafka(brokersFromEnv: string): Promise<TestKafka> {
  const brokers = brokersFromEnv
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  try {
    await probeKafka({ brokers, timeoutMs: externalProbeTimeoutMs });
    return { brokers, unavailableReason: null, release: async () => {} };
  } catch (error) {
    return unavailable(`KAFKA_BROKERS=${brokersFromEnv} does not answer: ${messageOf(error)}`);
  }
}

async function useLocalBroker(port: number): Promise<TestKafka> {
  const leaseDir = join(localBrokerDir, 'leases');
  const lease = join(leaseDir, String(process.pid));
  // The lease comes first, so that a run finishing meanwhile sees this one and leaves the broker up.
  await mkdir(leaseDir, { recursive: true });
  await writeFile(lease, `${new Date().toISOString()}\n`);
  const dropLease = () => rm(lease, { force: true });

  const foundRunning = (await runKafkaScript(['status', '--dir', localBrokerDir], statusTimeoutMs)).exitCode === 0;
  // `start` on a running broker only checks that it answers, and prints its address.
  const started = await runKafkaScript(['start', '--dir', localBrokerDir, '--port', String(port)], startTimeoutMs);
  const address = started.stdout.trim().split('\n').at(-1) ?? '';
  if (started.exitCode !== 0 || address === '') {
    await dropLease();
    const detail = lastLines(started.stderr, 8) || `exit code ${started.exitCode}`;
    return unavailable(`could not start a local Kafka broker with scripts/kafka/kafka.sh:\n${detail}`);
  }
  if (!foundRunning) await writeFile(startedByTestsFile, await brokerPid());
  return {
    brokers: address.split(','),
    unavailableReason: null,
    release: async () => {
      await dropLease();
      if ((await liveLeaseHolders(leaseDir)) > 0) return;
      const startedByTests = (await readFile(startedByTestsFile, 'utf8').catch(() => '')).trim();
      if (startedByTests === '' || startedByTests !== (await brokerPid())) return;
      await runKafkaScript(['stop', '--dir', localBrokerDir], stopTimeoutMs);
      await rm(startedByTestsFile, { force: true });
    },
  };
}

async function brokerPid(): Promise<string> {
  return (await readFile(join(localBrokerDir, 'kafka.pid'), 'utf8').catch(() => '')).trim();
}

/** Counts runs still holding a lease, deleting the leases of runs that died without releasing. */
async function liveLeaseHolders(leaseDir: string): Promise<number> {
  let live = 0;
  for (const name of await readdir(leaseDir).catch(() => [] as string[])) {
    if (isAlive(Number(name))) live += 1;
    else await rm(join(leaseDir, name), { force: true });
  }
  return live;
}

interface ScriptResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function runKafkaScript(args: readonly string[], timeoutMs: number): Promise<ScriptResult> {
  // The probe inside kafka.sh runs on Node 24: put the Node running this process first on PATH.
  const path = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  return new Promise((done) => {
    execFile('bash', [kafkaScript, ...args], { timeout: timeoutMs, env: { ...process.env, PATH: path } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      const timedOut = error?.killed === true ? `\nkafka.sh ${args[0]} timed out after ${timeoutMs} ms` : '';
      done({ exitCode: code, stdout, stderr: stderr + timedOut });
    });
  });
}

function unavailable(reason: string): TestKafka {
  return { brokers: null, unavailableReason: reason, release: async () => {} };
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
