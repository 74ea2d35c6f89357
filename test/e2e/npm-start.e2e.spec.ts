/**
 * `npm start` stopped the way systemd, Docker or a process manager stop it: SIGTERM to npm's own
 * process. Run exactly as the README says, with the `npm` on PATH (on this machine, as on a
 * newcomer's, it runs on an older Node.js than the platform's 24). Every process of the tree must
 * be gone within 15 s (the platform stopped gracefully, saying so, and its RTGS simulator with
 * it), and a new start must open the same embedded data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/runtime/rtgs-simulator-process.ts';

const repositoryRoot = resolve(import.meta.dirname, '../..');
const stopDeadlineMs = 15_000;

interface Started {
  npm: ChildProcess;
  output: () => string;
}

describe('npm start, then SIGTERM to npm', () => {
  const started: Started[] = [];
  let dataDir: string;

  afterAll(async () => {
    for (const { npm } of started) if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    for (const pid of await processesWithDataDir(dataDir)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stops the whole tree gracefully, and a new start opens the same data directory', { timeout: 300_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'paystream-npm-start-'));
    const port = await freePort();
    const first = await npmStart(dataDir, port);
    started.push(first);
    await waitUntilServing(port, first);

    await stopAndExpectGone(first, dataDir);
    expect(first.output()).toMatch(/"msg":"paystream stopped"/);
    // The embedded database's durability warning, once per start.
    expect(first.output().match(/never fsyncs/g)).toHaveLength(1);

    // The same directory opens again; this start is stopped the moment it serves (still joining
    // its consumers), which must be as clean.
    const second = await npmStart(dataDir, port);
    started.push(second);
    await waitUntilServing(port, second);
    expect(second.output()).not.toMatch(/in use by process/);
    await stopAndExpectGone(second, dataDir);
    expect(second.output()).toMatch(/"msg":"paystream stopped"/);
  });
});

/** SIGTERM to npm's process only; within 15 s no process of its tree (nor any for `dataDir`) is left. */
async function stopAndExpectGone(started: Started, dataDir: string): Promise<void> {
  const tree = [started.npm.pid!, ...(await descendantsOf(started.npm.pid!))];
  // npm, the platform (the script's shell and the wrapper exec into it) and the RTGS simulator.
  expect(tree.length).toBeGreaterThanOrEqual(3);
  started.npm.kill('SIGTERM');
  const deadline = Date.now() + stopDeadlineMs;
  let left: number[] = [];
  do {
    left = [...new Set([...tree.filter(isRunning), ...(await processesWithDataDir(dataDir))])];
    if (left.length === 0) return;
    await new Promise((done) => setTimeout(done, 100));
  } while (Date.now() < deadline);
  const lastLines = started.output().split('\n').slice(-15).join('\n');
  expect(
    left.map(describeProcess),
    `processes left ${stopDeadlineMs / 1000} s after SIGTERM to npm; its last output:\n${lastLines}`,
  ).toEqual([]);
}

async function npmStart(dataDir: string, port: number): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, PAYSTREAM_DATA_DIR: dataDir, PORT: String(port) };
  // The embedded default: nothing configured but where and on which port.
  for (const name of [
    'DATABASE_URL',
    'KAFKA_BROKERS',
    'SCHEMA_REGISTRY_URL',
    'PAYSTREAM_API_KEY',
    'PAYSTREAM_NAMESPACE',
    'RTGS_URL',
    'RTGS_SIMULATOR_PORT',
  ])
    delete env[name];
  const npm = spawn('npm', ['start'], { cwd: repositoryRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { npm, output: () => output };
}

async function waitUntilServing(port: number, started: Started): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (started.npm.exitCode !== null) throw new Error(`npm start exited with ${started.npm.exitCode}:\n${started.output()}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`npm start did not serve within 180 s:\n${started.output()}`);
}

/** Every live process whose ancestry leads to `pid`, from /proc. */
async function descendantsOf(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readStat(Number(entry));
    if (stat) parents.set(Number(entry), stat.ppid);
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** Live processes started for this data directory (its path is in their environment), orphans included. */
async function processesWithDataDir(dataDir: string | undefined): Promise<number[]> {
  if (dataDir === undefined) return [];
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(`PAYSTREAM_DATA_DIR=${dataDir}`) && isRunning(Number(entry))) found.push(Number(entry));
  }
  return found;
}

/** Alive and not a zombie (a zombie has exited; it only waits for its parent to read its status). */
function isRunning(pid: number): boolean {
  try {
    const stat = readStatSync(pid);
    return stat !== undefined && stat.state !== 'Z';
  } catch {
    return false;
  }
}

function describeProcess(pid: number): string {
  try {
    return `${pid}: ${readFileSyncText(`/proc/${pid}/cmdline`).replaceAll('\0', ' ')}`;
  } catch {
    return `${pid}: (gone)`;
  }
}

async function readStat(pid: number): Promise<{ state: string; ppid: number } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseStat(text);
}

function readStatSync(pid: number): { state: string; ppid: number } | undefined {
  return parseStat(readFileSyncText(`/proc/${pid}/stat`));
}

/** `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so read after the last `)`. */
function parseStat(text: string): { state: string; ppid: number } | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields.length < 2 ? undefined : { state: fields[0]!, ppid: Number(fields[1]) };
}

function readFileSyncText(path: string): string {
  return readFileSync(path, 'utf8');
}
