/**
 * What a benchmark takes from its environment, and the scratch resources it creates and removes.
 * A benchmark starts no servers: it uses the Kafka broker in KAFKA_BROKERS and the PostgreSQL server
 * in DATABASE_URL, and fails with a message that says how to provide them when they are not there.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const defaultKafkaBrokers = '127.0.0.1:19092';
export const defaultDatabaseServerUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A precondition of the run is missing (no broker, no database server): the message says what to do. */
export class BenchSetupError extends Error {}

/** The command line asks for something the benchmark does not understand: the message and the usage say why. */
export class BenchUsageError extends Error {}

/** A command-line option that must be a whole number of at least `min`; a `BenchUsageError` naming it otherwise. */
export function integerOption(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min)
    throw new BenchUsageError(`${name} must be an integer of at least ${min}, got "${text}"`);
  return value;
}

export function kafkaBrokersFromEnvironment(): string[] {
  return (process.env.KAFKA_BROKERS || defaultKafkaBrokers)
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
}

export function databaseServerUrlFromEnvironment(): string {
  return process.env.DATABASE_URL || defaultDatabaseServerUrl;
}

/** Resolves once one of `brokers` accepts a TCP connection; fails fast with instructions otherwise. */
export async function assertKafkaReachable(brokers: readonly string[], timeoutMs = 3000): Promise<void> {
  const failures: string[] = [];
  for (const broker of brokers) {
    const separator = broker.lastIndexOf(':');
    const host = broker.slice(0, separator);
    const port = Number(broker.slice(separator + 1));
    try {
      await tcpConnect(host, port, timeoutMs);
      return;
    } catch (error) {
      failures.push(`${broker}: ${(error as Error).message}`);
    }
  }
  throw new BenchSetupError(
    `Kafka is not reachable at ${brokers.join(',')} (${failures.join('; ')}).\n` +
      `Start one: \`export KAFKA_BROKERS=$(bash scripts/kafka/kafka.sh start)\` (127.0.0.1:19092; if that port is taken, ` +
      `add --dir /tmp/bench-kafka --port 19292), ` +
      `or point KAFKA_BROKERS at one (host:port[,host:port]).`,
  );
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates `ps_bench_<random>` on the server of `serverUrl`; `drop` removes it (forcibly, even with sessions left). */
export async function createScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const name = `ps_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  try {
    await admin.connect();
  } catch (error) {
    throw new BenchSetupError(
      `PostgreSQL is not reachable at ${redact(serverUrl)} (${(error as Error).message}).\n` +
        `Set DATABASE_URL to a server where the bench may create and drop a scratch database.`,
    );
  }
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The server's version string, for the report. */
export async function databaseServerVersion(serverUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return rows[0]!.server_version;
  } finally {
    await client.end();
  }
}

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

export async function createTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A run-unique suffix for topic and group names, so runs never see each other's records. */
export function runSuffix(): string {
  return `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
}

/**
 * Undo steps registered as resources are made, run last-in first-out at the end of the run, also
 * on Ctrl-C, so an interrupted run leaves no scratch database, topic or temp dir behind.
 */
export class Cleanup {
  readonly #steps: { what: string; run: () => Promise<unknown> }[] = [];
  #ran: Promise<void> | undefined;

  add(what: string, run: () => Promise<unknown>): void {
    this.#steps.push({ what, run });
  }

  run(): Promise<void> {
    this.#ran ??= (async () => {
      for (const step of this.#steps.reverse()) {
        try {
          await step.run();
        } catch (error) {
          process.stderr.write(`cleanup: ${step.what} failed: ${(error as Error).message}\n`);
        }
      }
    })();
    return this.#ran;
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
