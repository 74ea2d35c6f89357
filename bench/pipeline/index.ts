/**
 * `npm run bench -- pipeline --engine kafka|embedded [options]`: the payment platform end to end —
 * HTTP intake, validation, ledger reservation, RTGS submission, the network's callback, settlement,
 * status projection, audit, notifications — driven over HTTP, measured two ways: a fixed rate
 * (API and end-to-end latency) and a closed loop (completed payments per second sustained).
 * BENCHMARKS.md says what each phase measures and records the results.
 */
import { readdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BenchUsageError,
  Cleanup,
  databaseServerUrlFromEnvironment,
  databaseServerVersion,
  integerOption,
  kafkaBrokersFromEnvironment,
} from '../support/environment.ts';
import { formatCount, progress } from '../support/progress.ts';
import { roundMs } from '../support/latency.ts';
import { ApiClient, openAccounts, PaymentMaker } from './load.ts';
import { drain, measureFixedRate, measureThroughput, PaymentPoller, type FixedRateResult, type ThroughputResult } from './phases.ts';
import { formatProfileSummary, summarizeProfile } from './profile-summary.ts';
import { PipelineRig } from './rig.ts';

export const usage = `usage: npm run bench -- pipeline --engine kafka|embedded [options]

  --phases LIST            comma-separated subset of fixed-rate,throughput (default both, in that order)
  --rate N                 fixed-rate phase: payments per second (default 1000)
  --rate-seconds N         fixed-rate phase: duration (default 30)
  --rate-warmup-seconds N  fixed-rate phase: requests due in the first N seconds are left out (default 5)
  --clients N              throughput phase: concurrent HTTP clients (default 64)
  --max-in-flight N        throughput phase: clients wait while N accepted payments are unfinished (default 2000)
  --warmup-seconds N       throughput phase: warm-up before the measured window (default 10)
  --seconds N              throughput phase: the measured window (default 30)
  --accounts N             debtor accounts, opened and funded over the API first (default 400)
  --internal-share X       share of payments to another account of this bank, settled without RTGS (default 0.1)
  --rtgs-latency-ms N      the RTGS simulator's time to decide a payment (default 0)
  --rtgs-batch N           maxBatchRecords of the RTGS gateway's consumer (default: the service's, 500)
  --pool N                 Kafka engine: the platform's PostgreSQL connections (default 20, DATABASE_POOL_SIZE's default)
  --services LIST          run only these services, e.g. gateway,validation,ledger,rtgs (a what-if: the flow
                           needs those four; audit and notifications only listen) (default: every service)
  --log-level LEVEL        the platform's log level (default warn; production runs at info)
  --cpu-prof DIR           run the platform with --cpu-prof into DIR and print its hot spots at the end
  --replicas N             Kafka engine: run the platform as N processes, each with every service, the
                           load spread over their APIs (default 1)

environment (kafka engine):
  KAFKA_BROKERS  default 127.0.0.1:19092, what \`bash scripts/kafka/kafka.sh start\` starts
  DATABASE_URL   default postgres://postgres@127.0.0.1:5432/postgres: the server on which a scratch
                 database is created, and dropped at the end
Progress goes to stderr; the last line on stdout is the result, one JSON object.`;

type Phase = 'fixed-rate' | 'throughput';
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

interface PipelineOptions {
  engine: 'kafka' | 'embedded';
  phases: ReadonlySet<Phase>;
  ratePerSec: number;
  rateSeconds: number;
  rateWarmupSeconds: number;
  clients: number;
  maxInFlight: number;
  warmupSeconds: number;
  seconds: number;
  accounts: number;
  internalShare: number;
  rtgsLatencyMs: number;
  rtgsMaxBatchRecords: number | undefined;
  poolSize: number;
  logLevel: (typeof logLevels)[number];
  services: string[];
  cpuProfileDir: string | undefined;
  replicas: number;
}

export interface PipelineResult {
  bench: 'pipeline';
  engine: 'kafka' | 'embedded';
  /** Closed loop: payments completed per second in the measured window. */
  paymentsPerSec: number | null;
  /** Fixed rate: request due → 202, and 202 → COMPLETED. */
  apiP99Ms: number | null;
  e2eP50Ms: number | null;
  e2eP99Ms: number | null;
  /** Fixed rate: what was asked, what the platform accepted, and whether it kept up (latencies of a run that did not are queueing). */
  ratePerSec: number | null;
  achievedPerSec: number | null;
  sustained: boolean | null;
  /** Accepted payments without a terminal status at the end of the run (should be 0). */
  unfinished: number;
}

export async function runPipeline(argv: string[]): Promise<PipelineResult> {
  const options = parseOptions(argv);
  const cleanup = new Cleanup();
  // Ctrl-C must not leave a platform process, a scratch database, topics or a data directory behind.
  const onSignal = () => {
    progress('interrupted; cleaning up');
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await measure(options, cleanup);
  } finally {
    await cleanup.run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function measure(options: PipelineOptions, cleanup: Cleanup): Promise<PipelineResult> {
  const environment = await describeEnvironment(options);
  progress(`pipeline bench, ${options.engine} engine: ${environment}`);
  if (loadavg()[0]! > cpus().length / 2) {
    progress(
      `warning: the machine is busy (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores); other processes take CPU from the platform, the database and the broker, so the results will be lower and noisier`,
    );
  }
  const profileStartedMs = Date.now();
  const rig = await PipelineRig.open(
    {
      engine: options.engine,
      kafkaBrokers: kafkaBrokersFromEnvironment(),
      databaseServerUrl: databaseServerUrlFromEnvironment(),
      rtgsLatencyMs: options.rtgsLatencyMs,
      rtgsMaxBatchRecords: options.rtgsMaxBatchRecords,
      poolSize: options.poolSize,
      logLevel: options.logLevel,
      services: options.services,
      cpuProfileDir: options.cpuProfileDir,
      replicas: options.replicas,
    },
    cleanup,
  );
  // Sockets: the closed loop's clients, or what a fixed rate keeps in flight if the API slows down.
  const client = new ApiClient(rig.urls, rig.apiKey, Math.max(options.clients, 256));
  cleanup.add('closing the HTTP client', async () => client.close());

  const setupStartedMs = performance.now();
  const accounts = await openAccounts(client, options.accounts, '1000000.00', 16);
  progress(
    `opened and funded ${formatCount(accounts.length)} accounts in ${((performance.now() - setupStartedMs) / 1000).toFixed(1)} s; payments: 1.00 EUR each, ${Math.round(options.internalShare * 100)}% to accounts of this bank, the rest over RTGS`,
  );
  const maker = new PaymentMaker(accounts, options.internalShare);

  let fixedRate: FixedRateResult | undefined;
  let throughput: ThroughputResult | undefined;
  if (options.phases.has('fixed-rate')) {
    fixedRate = await measureFixedRate(rig, client, maker, {
      ratePerSec: options.ratePerSec,
      warmupMs: options.rateWarmupSeconds * 1000,
      durationMs: options.rateSeconds * 1000,
    });
  }
  if (options.phases.has('throughput')) {
    throughput = await measureThroughput(rig, client, maker, {
      clients: options.clients,
      maxInFlight: options.maxInFlight,
      warmupMs: options.warmupSeconds * 1000,
      durationMs: options.seconds * 1000,
    });
  }
  const final = await drain(new PaymentPoller(rig), 'run', 1_000);
  const unfinished = final.total - final.terminal;
  if (unfinished > 0) progress(`warning: ${formatCount(unfinished)} accepted payments have no terminal status; the run is not clean`);

  console.log(summary(options, environment, fixedRate, throughput, unfinished));
  if (options.cpuProfileDir) {
    await rig.stop();
    printProfile(options.cpuProfileDir, profileStartedMs);
  }
  return {
    bench: 'pipeline',
    engine: options.engine,
    paymentsPerSec: throughput ? Math.round(throughput.paymentsPerSec) : null,
    apiP99Ms: fixedRate ? roundMs(fixedRate.api.p99Ms) : null,
    e2eP50Ms: fixedRate ? roundMs(fixedRate.e2e.p50Ms) : null,
    e2eP99Ms: fixedRate ? roundMs(fixedRate.e2e.p99Ms) : null,
    ratePerSec: fixedRate ? fixedRate.ratePerSec : null,
    achievedPerSec: fixedRate ? Math.round(fixedRate.achievedPerSec) : null,
    sustained: fixedRate ? fixedRate.sustained : null,
    unfinished,
  };
}

/** Every profile the platform wrote during this run: its main thread, and PGlite's worker thread on the embedded engine. */
function printProfile(dir: string, sinceMs: number): void {
  const profiles = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).mtimeMs >= sinceMs);
  if (profiles.length === 0) progress(`no CPU profile found in ${dir}`);
  for (const path of profiles)
    progress(`a CPU profile of the platform: ${path} (whole run: setup, phases, drain)\n${formatProfileSummary(summarizeProfile(path))}`);
}

function parseOptions(argv: string[]): PipelineOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        engine: { type: 'string' },
        phases: { type: 'string', default: 'fixed-rate,throughput' },
        rate: { type: 'string', default: '1000' },
        'rate-seconds': { type: 'string', default: '30' },
        'rate-warmup-seconds': { type: 'string', default: '5' },
        clients: { type: 'string', default: '64' },
        'max-in-flight': { type: 'string', default: '2000' },
        'warmup-seconds': { type: 'string', default: '10' },
        seconds: { type: 'string', default: '30' },
        accounts: { type: 'string', default: '400' },
        'internal-share': { type: 'string', default: '0.1' },
        'rtgs-latency-ms': { type: 'string', default: '0' },
        'rtgs-batch': { type: 'string' },
        pool: { type: 'string' },
        'log-level': { type: 'string', default: 'warn' },
        services: { type: 'string' },
        'cpu-prof': { type: 'string' },
        replicas: { type: 'string', default: '1' },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const { engine } = values;
  if (engine !== 'kafka' && engine !== 'embedded') throw new BenchUsageError('--engine must be kafka or embedded');
  const phases = new Set(values.phases.split(',').map((phase) => phase.trim()));
  for (const phase of phases) if (phase !== 'fixed-rate' && phase !== 'throughput') throw new BenchUsageError(`unknown phase "${phase}"`);
  const logLevel = values['log-level'];
  if (!(logLevels as readonly string[]).includes(logLevel)) throw new BenchUsageError(`--log-level must be one of ${logLevels.join(', ')}`);
  const internalShare = Number(values['internal-share']);
  if (!(internalShare >= 0 && internalShare <= 1)) throw new BenchUsageError('--internal-share must be between 0 and 1');
  if (engine === 'embedded' && values.replicas !== '1')
    throw new BenchUsageError('--replicas needs --engine kafka: a PGlite database belongs to one process');
  const rateSeconds = integerOption('--rate-seconds', values['rate-seconds'], 1);
  const rateWarmupSeconds = integerOption('--rate-warmup-seconds', values['rate-warmup-seconds'], 0);
  if (rateWarmupSeconds >= rateSeconds) throw new BenchUsageError('--rate-warmup-seconds must be shorter than --rate-seconds');
  return {
    engine,
    phases: phases as Set<Phase>,
    ratePerSec: integerOption('--rate', values.rate, 1),
    rateSeconds,
    rateWarmupSeconds,
    clients: integerOption('--clients', values.clients, 1),
    maxInFlight: integerOption('--max-in-flight', values['max-in-flight'], 1),
    warmupSeconds: integerOption('--warmup-seconds', values['warmup-seconds'], 0),
    seconds: integerOption('--seconds', values.seconds, 1),
    accounts: integerOption('--accounts', values.accounts, 2),
    internalShare,
    rtgsLatencyMs: integerOption('--rtgs-latency-ms', values['rtgs-latency-ms'], 0),
    rtgsMaxBatchRecords: values['rtgs-batch'] === undefined ? undefined : integerOption('--rtgs-batch', values['rtgs-batch'], 1),
    poolSize: values.pool === undefined ? 20 : integerOption('--pool', values.pool, 2),
    logLevel: logLevel as PipelineOptions['logLevel'],
    services: (values.services ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    cpuProfileDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
    replicas: integerOption('--replicas', values.replicas, 1),
  };
}

async function describeEnvironment(options: PipelineOptions): Promise<string> {
  const database =
    options.engine === 'kafka'
      ? `Kafka at ${kafkaBrokersFromEnvironment().join(',')}, PostgreSQL ${await databaseServerVersion(databaseServerUrlFromEnvironment()).catch(() => '(unreachable)')}`
      : 'PGlite (worker thread), event log in its tables';
  return `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${database}, load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`;
}

function summary(
  options: PipelineOptions,
  environment: string,
  fixedRate: FixedRateResult | undefined,
  throughput: ThroughputResult | undefined,
  unfinished: number,
): string {
  const lines = [`pipeline bench, ${options.engine} engine: ${environment}`];
  lines.push(
    `  config: ${options.accounts} accounts, ${Math.round(options.internalShare * 100)}% internal, RTGS simulator latency ${options.rtgsLatencyMs} ms, RTGS consumer batch ${options.rtgsMaxBatchRecords ?? 'default (500)'}, pool ${options.poolSize}, platform processes ${options.replicas}, platform log level ${options.logLevel}, services ${options.services.length > 0 ? options.services.join(',') : 'all'}`,
  );
  if (fixedRate) {
    const { api, e2e } = fixedRate;
    lines.push(
      `  fixed rate ${formatCount(fixedRate.ratePerSec)}/s: ${fixedRate.sustained ? 'sustained' : 'NOT sustained'} (accepted ${formatCount(fixedRate.achievedPerSec)}/s, completed ${formatCount(fixedRate.completedPerSec)}/s); ` +
        `API p50 ${api.p50Ms.toFixed(1)} ms, p99 ${api.p99Ms.toFixed(1)} ms; end to end p50 ${e2e.p50Ms.toFixed(1)} ms, p99 ${e2e.p99Ms.toFixed(1)} ms, max ${e2e.maxMs.toFixed(1)} ms`,
    );
  }
  if (throughput) {
    lines.push(
      `  throughput (${options.clients} clients, ≤ ${formatCount(options.maxInFlight)} unfinished): ${formatCount(throughput.paymentsPerSec)} payments/s completed over ${throughput.seconds.toFixed(1)} s (${formatCount(throughput.acceptedPerSec)}/s accepted)`,
    );
  }
  lines.push(`  unfinished payments at the end: ${unfinished}`);
  lines.push(
    `  load average at the end: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  return lines.join('\n');
}
