/**
 * The RTGS network simulator as its own process:
 *
 *   node tools/rtgs-simulator/main.ts --port 4100 --callback-url http://127.0.0.1:3000/rtgs/v1/pacs002 \
 *     --callback-token <secret> --latency-ms 200 --reject-rate 0.05 --data-file .paystream/rtgs-sim.jsonl
 *
 * Every option also reads from the environment (RTGS_SIM_PORT, RTGS_SIM_CALLBACK_URL,
 * RTGS_SIM_CALLBACK_TOKEN, RTGS_SIM_LATENCY_MS, RTGS_SIM_REJECT_RATE, RTGS_SIM_LATE_RATE,
 * RTGS_SIM_LATE_DELAY_MS, RTGS_SIM_NEVER_ANSWER_RATE, RTGS_SIM_SUBMIT_DELAY_MS, RTGS_SIM_DATA_FILE,
 * RTGS_SIM_XSD_DIR, RTGS_SIM_OPERATOR_BIC, RTGS_SIM_HOST); the command line wins.
 */
import { parseArgs } from 'node:util';
import type { Level } from 'pino';
import { createLogger } from '../../src/backbone/observability/logger.ts';
import { startRtgsSimulator } from './simulator.ts';
import type { RtgsSimulatorOptions } from './options.ts';

const flags = {
  port: { env: 'RTGS_SIM_PORT', kind: 'integer' },
  host: { env: 'RTGS_SIM_HOST', kind: 'string' },
  'callback-url': { env: 'RTGS_SIM_CALLBACK_URL', kind: 'string' },
  'callback-token': { env: 'RTGS_SIM_CALLBACK_TOKEN', kind: 'string' },
  'latency-ms': { env: 'RTGS_SIM_LATENCY_MS', kind: 'integer' },
  'reject-rate': { env: 'RTGS_SIM_REJECT_RATE', kind: 'number' },
  'late-rate': { env: 'RTGS_SIM_LATE_RATE', kind: 'number' },
  'late-delay-ms': { env: 'RTGS_SIM_LATE_DELAY_MS', kind: 'integer' },
  'never-answer-rate': { env: 'RTGS_SIM_NEVER_ANSWER_RATE', kind: 'number' },
  'submit-delay-ms': { env: 'RTGS_SIM_SUBMIT_DELAY_MS', kind: 'integer' },
  'data-file': { env: 'RTGS_SIM_DATA_FILE', kind: 'string' },
  'xsd-dir': { env: 'RTGS_SIM_XSD_DIR', kind: 'string' },
  'operator-bic': { env: 'RTGS_SIM_OPERATOR_BIC', kind: 'string' },
} as const;

type Flag = keyof typeof flags;

// The platform's logger factory, so an operator reads one format from both processes (level as a
// word, ISO time, pid, hostname and service on every line) and the same fields are redacted.
const logger = createLogger({ service: 'rtgs-simulator', level: logLevel(process.env.LOG_LEVEL) });
const { values } = parseArgs({
  options: Object.fromEntries(Object.keys(flags).map((flag) => [flag, { type: 'string' }])) as Record<Flag, { type: 'string' }>,
  strict: true,
});

function readString(flag: Flag): string | undefined {
  const raw = values[flag] ?? process.env[flags[flag].env];
  return raw === undefined || raw === '' ? undefined : raw;
}

function readNumber(flag: Flag): number | undefined {
  const raw = readString(flag);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || (flags[flag].kind === 'integer' && !Number.isInteger(value)))
    throw new TypeError(`--${flag} (${flags[flag].env}) must be a number, got ${raw}`);
  return value;
}

const options: RtgsSimulatorOptions = {
  port: readNumber('port') ?? 4100,
  logger,
  ...defined({
    host: readString('host'),
    callbackUrl: readString('callback-url'),
    callbackToken: readString('callback-token'),
    latencyMs: readNumber('latency-ms'),
    rejectRate: readNumber('reject-rate'),
    lateRate: readNumber('late-rate'),
    lateDelayMs: readNumber('late-delay-ms'),
    neverAnswerRate: readNumber('never-answer-rate'),
    submitDelayMs: readNumber('submit-delay-ms'),
    dataFile: readString('data-file'),
    xsdDir: readString('xsd-dir'),
    operatorBic: readString('operator-bic'),
  }),
};

const simulator = await startRtgsSimulator(options);
logger.info(
  { url: simulator.url, callbacks: options.callbackUrl !== undefined, dataFile: options.dataFile ?? null },
  'RTGS simulator ready',
);

let stopping = false;
function stop(reason: string): void {
  if (stopping) return;
  stopping = true;
  logger.info({ reason }, 'stopping');
  void simulator.close().then(() => process.exit(0));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop(signal));
// Run by `paystream start` with an IPC channel (src/runtime/rtgs-simulator-process.ts): it closes
// when that process is gone, however it died, and a simulator without its platform stops too.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => stop('the platform process that started the simulator is gone'));
}

/** LOG_LEVEL, as the platform reads it (`paystream start` passes its environment on). */
function logLevel(raw: string | undefined): Level {
  const levels: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
  if (raw === undefined || raw === '') return 'info';
  if (!(levels as readonly string[]).includes(raw)) throw new TypeError(`LOG_LEVEL must be one of ${levels.join(', ')}, got ${raw}`);
  return raw as Level;
}

function defined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}
