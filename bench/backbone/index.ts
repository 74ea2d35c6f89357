/**
 * `npm run bench -- backbone --engine kafka|embedded [options]`: one stage of the backbone
 * (consume → effect row → outbox → relay → produce) measured three ways: closed-loop throughput,
 * end-to-end latency at half that rate, and the naive per-message pattern (the same runner with
 * maxBatchRecords 1). BENCHMARKS.md says what each phase measures and records the results.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  BenchUsageError,
  Cleanup,
  databaseServerUrlFromEnvironment,
  databaseServerVersion,
  integerOption,
  kafkaBrokersFromEnvironment,
  runSuffix,
} from '../support/environment.ts';
import { formatCount, progress } from '../support/progress.ts';
import { roundMs } from '../support/latency.ts';
import { EmbeddedRig } from './embedded-rig.ts';
import { KafkaRig } from './kafka-rig.ts';
import { measureLatency, measureThroughput, type LatencyResult, type ThroughputResult } from './phases.ts';
import type { StageSpec } from './stage.ts';
import type { Rig, RigSettings } from './rig.ts';

export const usage = `usage: npm run bench -- backbone --engine kafka|embedded [options]

  --events N            throughput phase: input events pre-loaded (default 200000 kafka, 100000 embedded)
  --naive-events N      naive phase (maxBatchRecords 1): input events (default 3000)
  --max-batch N         ConsumerRunner maxBatchRecords of the throughput and latency phases (default 500, the runner's)
  --effects MODE        per-event (default: the handler inserts its row, today's handler API) or
                        per-batch (one multi-row insert per transaction; a what-if, see BENCHMARKS.md)
  --partitions N        partitions of every topic (default 12, the topic default)
  --pool N              the stage's pg pool size, kafka (default 10, PostgresDatabase's)
  --relay-batch N       OutboxRelay batchRows, kafka (default 1000, the relay's)
  --fetch-max-wait-ms N KafkaEventBus fetchMaxWaitMs of the stage and the driver (default: the bus's, 500)
  --latency-rate N      latency phase rate in events/s (default: half the measured throughput)
  --latency-seconds N   latency phase duration (default 20)
  --warmup-seconds N    latency samples of the first N seconds are left out (default 5)
  --pglite MODE         embedded: worker (default: in a worker thread, as \`npm start\` runs it) or in-process
  --phases LIST         comma-separated subset of throughput,latency,naive (default: all three)

environment (kafka engine):
  KAFKA_BROKERS  default 127.0.0.1:19092, what \`bash scripts/kafka/kafka.sh start\` starts
  DATABASE_URL   default postgres://postgres@127.0.0.1:5432/postgres: the server on which a scratch
                 database is created, and dropped at the end
Progress goes to stderr; the last line on stdout is the result, one JSON object.`;

type Phase = 'throughput' | 'latency' | 'naive';

interface BackboneOptions extends RigSettings {
  engine: 'kafka' | 'embedded';
  events: number;
  naiveEvents: number;
  maxBatchRecords: number;
  effects: StageSpec['effects'];
  latencyRatePerSec: number | undefined;
  latencySeconds: number;
  warmupSeconds: number;
  phases: ReadonlySet<Phase>;
}

export interface BackboneResult {
  bench: 'backbone';
  engine: 'kafka' | 'embedded';
  eventsPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  naiveEventsPerSec: number | null;
}

export async function runBackbone(argv: string[]): Promise<BackboneResult> {
  const options = parseOptions(argv);
  const cleanup = new Cleanup();
  // Ctrl-C must not leave a scratch database, topics or a data directory behind.
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

async function measure(options: BackboneOptions, cleanup: Cleanup): Promise<BackboneResult> {
  const environment = await describeEnvironment(options);
  progress(`backbone bench, ${options.engine} engine: ${environment}`);
  if (loadavg()[0]! > cpus().length / 2) {
    progress(
      `warning: the machine is busy (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores); other processes take CPU from the stage, the database and the broker, so the results will be lower and noisier`,
    );
  }
  const rig: Rig =
    options.engine === 'kafka'
      ? await KafkaRig.open(kafkaBrokersFromEnvironment(), databaseServerUrlFromEnvironment(), options, cleanup)
      : await EmbeddedRig.open(options, cleanup);
  const suffix = runSuffix();
  const spec = (phase: Phase, maxBatchRecords: number): StageSpec => ({
    group: `bench-backbone-${phase}-${suffix}`,
    input: `bench.backbone-${phase}-in-${suffix}.v1`,
    output: `bench.backbone-${phase}-out-${suffix}.v1`,
    maxBatchRecords,
    effects: options.effects,
  });

  let throughput: ThroughputResult | undefined;
  let latency: LatencyResult | undefined;
  let naive: ThroughputResult | undefined;
  if (options.phases.has('throughput'))
    throughput = await measureThroughput(rig, 'throughput', spec('throughput', options.maxBatchRecords), options.events);
  if (options.phases.has('latency')) {
    const rate = options.latencyRatePerSec ?? (throughput ? Math.round(throughput.eventsPerSec / 2) : undefined);
    if (rate === undefined) throw new BenchUsageError('the latency phase needs --latency-rate when the throughput phase is not run');
    latency = await measureLatency(
      rig,
      'latency',
      spec('latency', options.maxBatchRecords),
      rate,
      options.latencySeconds * 1000,
      options.warmupSeconds * 1000,
    );
  }
  if (options.phases.has('naive')) naive = await measureThroughput(rig, 'naive', spec('naive', 1), options.naiveEvents);

  console.log(summary(options, environment, throughput, latency, naive));
  return {
    bench: 'backbone',
    engine: options.engine,
    eventsPerSec: throughput ? Math.round(throughput.eventsPerSec) : null,
    p50Ms: latency ? roundMs(latency.latency.p50Ms) : null,
    p99Ms: latency ? roundMs(latency.latency.p99Ms) : null,
    naiveEventsPerSec: naive ? Math.round(naive.eventsPerSec) : null,
  };
}

function parseOptions(argv: string[]): BackboneOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        engine: { type: 'string' },
        events: { type: 'string' },
        'naive-events': { type: 'string', default: '3000' },
        'max-batch': { type: 'string', default: '500' },
        effects: { type: 'string', default: 'per-event' },
        partitions: { type: 'string', default: '12' },
        pool: { type: 'string', default: '10' },
        'relay-batch': { type: 'string', default: '1000' },
        'fetch-max-wait-ms': { type: 'string' },
        'latency-rate': { type: 'string' },
        'latency-seconds': { type: 'string', default: '20' },
        'warmup-seconds': { type: 'string', default: '5' },
        pglite: { type: 'string', default: 'worker' },
        phases: { type: 'string', default: 'throughput,latency,naive' },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const { engine, effects, pglite } = values;
  if (engine !== 'kafka' && engine !== 'embedded') throw new BenchUsageError('--engine must be kafka or embedded');
  if (effects !== 'per-event' && effects !== 'per-batch') throw new BenchUsageError('--effects must be per-event or per-batch');
  if (pglite !== 'worker' && pglite !== 'in-process') throw new BenchUsageError('--pglite must be worker or in-process');
  const phases = new Set(values.phases.split(',').map((phase) => phase.trim()));
  for (const phase of phases)
    if (!['throughput', 'latency', 'naive'].includes(phase)) throw new BenchUsageError(`unknown phase "${phase}"`);
  const optional = (name: string, text: string | undefined) => (text === undefined ? undefined : integerOption(name, text, 1));
  return {
    engine,
    effects,
    pglite,
    events: integerOption('--events', values.events ?? (engine === 'kafka' ? '200000' : '100000'), 1),
    naiveEvents: integerOption('--naive-events', values['naive-events'], 1),
    maxBatchRecords: integerOption('--max-batch', values['max-batch'], 1),
    partitions: integerOption('--partitions', values.partitions, 1),
    poolSize: integerOption('--pool', values.pool, 1),
    relayBatchRows: integerOption('--relay-batch', values['relay-batch'], 1),
    fetchMaxWaitMs: optional('--fetch-max-wait-ms', values['fetch-max-wait-ms']),
    latencyRatePerSec: optional('--latency-rate', values['latency-rate']),
    latencySeconds: integerOption('--latency-seconds', values['latency-seconds'], 1),
    warmupSeconds: integerOption('--warmup-seconds', values['warmup-seconds'], 0),
    phases: phases as Set<Phase>,
  };
}

async function describeEnvironment(options: BackboneOptions): Promise<string> {
  const database =
    options.engine === 'kafka'
      ? `PostgreSQL ${await databaseServerVersion(databaseServerUrlFromEnvironment()).catch(() => '(unreachable)')}`
      : `PGlite (${options.pglite})`;
  return `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${database}, load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`;
}

function summary(
  options: BackboneOptions,
  environment: string,
  throughput?: ThroughputResult,
  latency?: LatencyResult,
  naive?: ThroughputResult,
): string {
  const lines = [`backbone bench, ${options.engine} engine: ${environment}`];
  const kafka =
    options.engine === 'kafka'
      ? `, pool ${options.poolSize}, relay batchRows ${options.relayBatchRows}, fetchMaxWaitMs ${options.fetchMaxWaitMs ?? 'default'}`
      : '';
  lines.push(`  config: partitions ${options.partitions}, maxBatchRecords ${options.maxBatchRecords}, effects ${options.effects}${kafka}`);
  if (throughput)
    lines.push(
      `  throughput: ${formatCount(throughput.eventsPerSec)} events/s (${formatCount(throughput.events)} events in ${throughput.seconds.toFixed(1)} s)`,
    );
  if (latency) {
    const l = latency.latency;
    lines.push(
      `  latency at ${formatCount(latency.ratePerSec)} events/s: p50 ${l.p50Ms.toFixed(1)} ms, p90 ${l.p90Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, p99.9 ${l.p999Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms (${formatCount(l.count)} samples)`,
    );
  }
  if (naive) lines.push(`  naive (maxBatchRecords 1): ${formatCount(naive.eventsPerSec)} events/s (${formatCount(naive.events)} events)`);
  if (throughput && naive) lines.push(`  batched / naive: ${(throughput.eventsPerSec / naive.eventsPerSec).toFixed(1)}×`);
  lines.push(
    `  load average at the end: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  return lines.join('\n');
}
