/**
 * Real processes for the payments crash test: the platform split over `paystream start --only …`
 * processes, and the RTGS simulator in its own process. Each can be killed with SIGKILL and
 * started again with the same command line, environment and port, as an operator's supervisor
 * would. Output goes to a log file per process (appended across restarts), kept for evidence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const simulatorMain = fileURLToPath(new URL('../../tools/rtgs-simulator/main.ts', import.meta.url));

export interface ProcessSpec {
  /** Short name for the report: `gateway`, `core`, `simulator`, … */
  name: string;
  /** Arguments after `node`. */
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Polled with GET until it answers 200. */
  readyUrl: string;
  logFile: string;
}

/** An exit that nobody asked for: a crash of the platform itself, which the test reports. */
export interface UnexpectedExit {
  name: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One restartable process. `kill()` is `kill -9`; `start()` runs the same command again and waits
 * until it is ready. Every exit that `kill()` or `stop()` did not cause is recorded.
 */
export class RestartableProcess {
  readonly spec: ProcessSpec;
  readonly unexpectedExits: UnexpectedExit[] = [];
  starts = 0;
  kills = 0;
  /** When it last became ready (epoch ms). */
  readyAtMs = 0;
  #child: ChildProcess | undefined;
  #expectingExit = false;

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts the process and waits until `readyUrl` answers 200 (throws with the log's tail if it dies or times out). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.#child?.pid})`);
    this.starts++;
    const log = openSync(this.spec.logFile, 'a');
    writeSync(log, `\n----- ${new Date().toISOString()} start #${this.starts} of ${this.name}\n`);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, this.spec.args, { env: this.spec.env, stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    this.#child = child;
    this.#expectingExit = false;
    child.once('exit', (code, signal) => {
      if (!this.#expectingExit) this.unexpectedExits.push({ name: this.name, pid: child.pid ?? -1, code, signal });
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${this.name} exited during start (${child.exitCode ?? child.signalCode}); its log ends:\n${this.logTail()}`);
      if (await answers200(this.spec.readyUrl)) {
        this.readyAtMs = Date.now();
        return;
      }
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms; its log ends:\n${this.logTail()}`);
  }

  /** `kill -9`: no shutdown hook runs. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    this.kills++;
    this.#expectingExit = true;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Graceful stop (SIGTERM), then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    this.#expectingExit = true;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort (process exit hooks): SIGKILL if still running. */
  killNow(): void {
    if (!this.running) return;
    this.#expectingExit = true;
    this.#child?.kill('SIGKILL');
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** `node src/cli/main.ts start --only <services>` on a fixed port. */
export function platformProcess(options: {
  name: string;
  only: readonly string[] | undefined;
  port: number;
  env: NodeJS.ProcessEnv;
  logFile: string;
}): RestartableProcess {
  const only = options.only && options.only.length > 0 ? ['--only', options.only.join(',')] : [];
  return new RestartableProcess({
    name: options.name,
    args: [cliMain, 'start', ...only],
    env: { ...options.env, PORT: String(options.port) },
    readyUrl: `http://127.0.0.1:${options.port}/health/ready`,
    logFile: options.logFile,
  });
}

/** `node tools/rtgs-simulator/main.ts` with a data file, so its decisions survive its restarts. */
export function simulatorProcess(options: {
  port: number;
  callbackUrl: string;
  callbackToken: string;
  dataFile: string;
  latencyMs: number;
  env: NodeJS.ProcessEnv;
  logFile: string;
}): RestartableProcess {
  return new RestartableProcess({
    name: 'simulator',
    args: [
      simulatorMain,
      '--port',
      String(options.port),
      '--callback-url',
      options.callbackUrl,
      '--data-file',
      options.dataFile,
      '--latency-ms',
      String(options.latencyMs),
    ],
    env: { ...options.env, RTGS_SIM_CALLBACK_TOKEN: options.callbackToken },
    readyUrl: `http://127.0.0.1:${options.port}/health`,
    logFile: options.logFile,
  });
}

/**
 * The inherited environment without anything that would change which engines or servers a
 * platform process uses: the test sets those explicitly (an embedded run must not pick up the
 * KAFKA_BROKERS the test itself runs with).
 */
export function baseEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|KAFKA_|SCHEMA_REGISTRY_URL|PAYSTREAM_|RTGS_|PORT$|HOST$|LOG_LEVEL$|VITEST|NODE_OPTIONS$)/.test(name))
      delete env[name];
  }
  return env;
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
