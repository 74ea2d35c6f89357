/**
 * paystream's benchmarks: `npm run bench -- <name> [options]`. Each benchmark prints its progress on
 * stderr and its result as the last line of stdout, one JSON object, so scripts can collect it.
 * Benchmarks are not tests: nothing here asserts on timing, and nothing in the test suite runs them.
 */
import { BenchSetupError, BenchUsageError } from './support/environment.ts';

interface Benchmark {
  summary: string;
  run(argv: string[]): Promise<object>;
  usage(): Promise<string>;
}

const benchmarks: Record<string, Benchmark> = {
  avro: {
    summary: 'the Avro serde on every event: encode + decode pairs/s through the caching schema registry',
    run: async (argv) => (await import('./avro/index.ts')).runAvro(argv),
    usage: async () => (await import('./avro/index.ts')).usage,
  },
  backbone: {
    summary: 'one stage: consume → effect row → outbox → publish (throughput, latency, naive per-message pattern)',
    run: async (argv) => (await import('./backbone/index.ts')).runBackbone(argv),
    usage: async () => (await import('./backbone/index.ts')).usage,
  },
  'http-floor': {
    summary: 'one HTTP exchange between two processes with nothing behind it: its CPU on this machine, the floor under every payment',
    run: async (argv) => (await import('./http-floor/index.ts')).runHttpFloor(argv),
    usage: async () => (await import('./http-floor/index.ts')).usage,
  },
  orders: {
    summary:
      'the choreographed order flow end to end over HTTP, both engines: orders shipped/s (closed loop), p99 step latency at half of it',
    run: async (argv) => (await import('./orders/index.ts')).runOrders(argv),
    usage: async () => (await import('./orders/index.ts')).usage,
  },
  pipeline: {
    summary: 'the payment flow end to end over HTTP: completed payments/s (closed loop), API and end-to-end latency at a fixed rate',
    run: async (argv) => (await import('./pipeline/index.ts')).runPipeline(argv),
    usage: async () => (await import('./pipeline/index.ts')).usage,
  },
  sagas: {
    summary: 'the loan approval saga, both engines: completed sagas/s (closed loop) and p99 step latency at half that rate',
    run: async (argv) => (await import('./sagas/index.ts')).runSagas(argv),
    usage: async () => (await import('./sagas/index.ts')).usage,
  },
  screening: {
    summary: 'sanctions screening against the full OFAC SDN and UN lists: recall, false positives, names/s',
    run: async (argv) => (await import('./screening/index.ts')).runScreening(argv),
    usage: async () => (await import('./screening/index.ts')).usage,
  },
};

const [name, ...argv] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : benchmarks[name];
if (!benchmark) {
  console.error(
    `usage: npm run bench -- <benchmark> [options]\n\nbenchmarks:\n${Object.entries(benchmarks)
      .map(([key, b]) => `  ${key.padEnd(10)} ${b.summary}`)
      .join('\n')}`,
  );
  process.exit(name === undefined || name === '--help' ? 0 : 2);
}
if (argv.includes('--help')) {
  console.error(await benchmark.usage());
  process.exit(0);
}

try {
  const result = await benchmark.run(argv);
  console.log(JSON.stringify(result));
  process.exit(0);
} catch (error) {
  if (error instanceof BenchSetupError || error instanceof BenchUsageError) {
    console.error(`bench ${name}: ${error.message}`);
    if (error instanceof BenchUsageError) console.error(await benchmark.usage());
    process.exit(2);
  }
  console.error(`bench ${name} failed:`, error);
  process.exit(1);
}
