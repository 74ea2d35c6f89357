/**
 * `npm test`: the whole suite in two lanes, two vitest runs side by side. With arguments
 * (`npm test -- <files>`, `npm test -- --project e2e`) it is one plain `vitest run` with them.
 *
 * Why two processes and not vitest's projects alone: a project whose files run one at a time
 * (`fileParallelism: false`, which the integration and end-to-end files need: they start brokers,
 * processes and load) gets one worker, and vitest runs such files in a single sequential group
 * after everything else, whatever project they belong to. So the whole suite ran one file at a
 * time, and the kill -9 files of test/fault/ (some 15 minutes, most of it waiting on rebalances,
 * deadlines and restarts, not on the CPU) added to the rest. Here they run beside it:
 *
 * - lane `main`:  unit, integration, e2e (everything but test/fault/);
 * - lane `fault`: test/fault/ (kill -9, broker failure), one file at a time.
 *
 * Each lane's lines are prefixed with its name; the exit status is the first failing lane's (a lane
 * killed by a signal counts as failed). SIGINT/SIGTERM reach both lanes. Both lanes share the
 * engines: the global setup of each finds the same broker (KAFKA_BROKERS, or the local one, which
 * test/support/test-kafka.ts leases per run) and PostgreSQL, and every test makes its own topics
 * and databases.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const lanes = [
  { name: 'main', projects: ['unit', 'integration', 'e2e'] },
  { name: 'fault', projects: ['fault'] },
] as const;

const args = process.argv.slice(2);
if (args.length > 0) {
  const child = spawn(process.execPath, [vitest, 'run', ...args], { stdio: 'inherit' });
  forwardSignals([child]);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const children = lanes.map(({ name, projects }) => {
    const child = spawn(process.execPath, [vitest, 'run', ...projects.flatMap((project) => ['--project', project])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
    });
    prefixLines(child.stdout!, process.stdout, name);
    prefixLines(child.stderr!, process.stderr, name);
    return { name, child };
  });
  forwardSignals(children.map(({ child }) => child));
  const results = await Promise.all(
    children.map(
      ({ name, child }) =>
        new Promise<{ name: string; status: number }>((resolve) =>
          child.on('exit', (code, signal) => resolve({ name, status: code ?? (signal ? 1 : 0) })),
        ),
    ),
  );
  for (const { name, status } of results) console.log(`[${name}] lane ${status === 0 ? 'passed' : `failed (exit ${status})`}`);
  process.exit(results.find(({ status }) => status !== 0)?.status ?? 0);
}

function prefixLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, name: string): void {
  const label = `[${name}] `.padEnd(8);
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${label}${line}\n`));
}

function forwardSignals(children: readonly ChildProcess[]): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      for (const child of children) child.kill(signal);
    });
}
