import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { createLogger } from '../../src/backbone/observability/logger.ts';
import { freePort } from '../../src/runtime/rtgs-simulator-process.ts';

const simulatorMain = fileURLToPath(new URL('../../tools/rtgs-simulator/main.ts', import.meta.url));
const scratch = await mkdtemp(join(tmpdir(), 'paystream-log-format-'));

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

// One format for an operator's log pipeline: the platform's lines and the RTGS simulator's
// (its own process) are parsed the same way, level as a word and time as ISO 8601.
it('the RTGS simulator process logs in the platform logger format', async () => {
  const platformLine = platformLogLine();
  const simulatorLine = await firstLineOfSimulator();

  for (const line of [platformLine, simulatorLine]) {
    expect(line.level).toBe('info');
    expect(typeof line.time).toBe('string');
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
    expect(typeof line.pid).toBe('number');
    expect(typeof line.hostname).toBe('string');
    expect(typeof line.msg).toBe('string');
  }
  expect(simulatorLine.service).toBe('rtgs-simulator');
  expect(Object.keys(simulatorLine).slice(0, 5)).toEqual(Object.keys(platformLine).slice(0, 5));
  expect(Object.keys(simulatorLine).slice(0, 5)).toEqual(['level', 'time', 'pid', 'hostname', 'service']);
});

function platformLogLine(): Record<string, unknown> {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
  // As src/cli/main.ts builds the platform's logger.
  createLogger({ service: 'paystream', destination }).info({ port: 3000 }, 'API listening');
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

async function firstLineOfSimulator(): Promise<Record<string, unknown>> {
  const port = await freePort();
  const child = spawn(process.execPath, [simulatorMain, '--port', String(port), '--data-file', join(scratch, 'rtgs-sim.jsonl')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (text: string) => {
        buffered += text;
        const end = buffered.indexOf('\n');
        if (end >= 0) resolve(buffered.slice(0, end));
      });
      child.once('exit', (code) => reject(new Error(`the simulator exited with code ${code} before logging a line`)));
      child.once('error', reject);
    });
    return JSON.parse(line) as Record<string, unknown>;
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
