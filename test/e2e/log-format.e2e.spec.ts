import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../../src/runtime/rtgs-simulator-process.ts';

const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const simulatorMain = fileURLToPath(new URL('../../tools/rtgs-simulator/main.ts', import.meta.url));
const scratch = await mkdtemp(join(tmpdir(), 'paystream-log-format-'));

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

// One format for an operator's log pipeline: the platform process (`paystream start`) and the
// RTGS simulator process (as `start` runs it) write lines of the same shape: level as a word,
// time as ISO 8601, the same base fields in the same order.
it('the platform and the RTGS simulator processes log lines of the same shape', async () => {
  const platformLine = await firstLogLine([cliMain, 'start', '--only', 'ledger'], {
    // The embedded engines in a scratch directory, whatever this shell's environment points at;
    // an RTGS_URL, so `start` does not run a simulator of its own.
    PAYSTREAM_DATA_DIR: join(scratch, 'platform'),
    PORT: String(await freePort()),
    PAYSTREAM_API_KEY: `psk_logformat_${'a'.repeat(32)}`,
    RTGS_URL: 'http://127.0.0.1:9',
    RTGS_CALLBACK_TOKEN: 'b'.repeat(32),
    LOG_LEVEL: 'info',
  });
  const simulatorLine = await firstLogLine(
    [simulatorMain, '--port', String(await freePort()), '--data-file', join(scratch, 'rtgs-sim.jsonl')],
    { LOG_LEVEL: 'info' },
  );

  for (const line of [platformLine, simulatorLine]) {
    expect(line.level).toBe('info');
    expect(typeof line.time).toBe('string');
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
    expect(typeof line.pid).toBe('number');
    expect(typeof line.hostname).toBe('string');
    expect(typeof line.msg).toBe('string');
  }
  expect(platformLine.service).toBe('paystream-ledger');
  expect(simulatorLine.service).toBe('rtgs-simulator');
  const baseFields = ['level', 'time', 'pid', 'hostname', 'service'];
  expect(Object.keys(platformLine).slice(0, 5)).toEqual(baseFields);
  expect(Object.keys(simulatorLine).slice(0, 5)).toEqual(baseFields);
}, 60_000);

/** Runs a Node.js script, returns its first stdout line parsed as JSON, then stops it. */
async function firstLogLine(args: string[], env: Record<string, string>): Promise<Record<string, unknown>> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'PAYSTREAM_NAMESPACE']) delete childEnv[name];
  const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (text: string) => {
        buffered += text;
        const end = buffered.indexOf('\n');
        if (end >= 0) resolve(buffered.slice(0, end));
      });
      child.once('exit', (code) => reject(new Error(`${args[0]} exited with code ${code} before logging a line`)));
      child.once('error', reject);
    });
    return JSON.parse(line) as Record<string, unknown>;
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
}
