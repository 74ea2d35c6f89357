import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

const simulatorMain = fileURLToPath(new URL('../../tools/rtgs-simulator/main.ts', import.meta.url));

export interface SimulatorProcess {
  url: string;
  /** SIGTERM, then wait for it to exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Runs the RTGS network simulator as its own process, as the real network is another system: it
 * has its own state file and answers pacs.002 to `callbackUrl`. Used by `paystream start` when no
 * RTGS_URL is configured. Its log lines go to this process's stdout, in the platform's format
 * (`createLogger`) with `service: "rtgs-simulator"`.
 * It is tied to this process by an IPC channel: when this process is gone, even killed with SIGKILL,
 * the channel closes and the simulator stops itself instead of living on as an orphan.
 */
export async function spawnRtgsSimulator(options: {
  port: number;
  callbackUrl: string;
  callbackToken: string;
  dataFile: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}): Promise<SimulatorProcess> {
  const child = spawn(
    process.execPath,
    [simulatorMain, '--port', String(options.port), '--callback-url', options.callbackUrl, '--data-file', options.dataFile],
    {
      env: { ...process.env, ...options.env, RTGS_SIM_CALLBACK_TOKEN: options.callbackToken },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  // The channel is only there to close when this process dies; it must not keep this one running.
  child.channel?.unref();
  const url = `http://127.0.0.1:${options.port}`;
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      options.logger.error({ code, signal }, 'the RTGS simulator exited; payments wait for the network until it is back');
  });
  await waitUntilHealthy(url, child);
  return { url, stop: () => stopChild(child) };
}

/** A free TCP port on loopback, for a child process to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilHealthy(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the RTGS simulator exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the RTGS simulator did not become healthy within 30 s');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
