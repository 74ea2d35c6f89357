/**
 * The platform under test, in a process of its own as `paystream start` runs it: every service,
 * the HTTP API, the consumers, the workers and (Kafka engine) the outbox relay, started through
 * `startPlatform`. The driver (rig.ts) forks it, sends the configuration as the first IPC message,
 * and then asks it for SQL reads of the platform's database (the payments table is how the bench
 * sees payments complete; on the embedded engine the PGlite database belongs to this process, so
 * the driver cannot open it itself). A separate process keeps the load generator's CPU out of the
 * platform's, and lets `--cpu-prof` profile the platform alone.
 */
import pino from 'pino';
import { startPlatform, topicsOf, type RunningPlatform } from '../../src/runtime/platform.ts';
import type { PaystreamConfig } from '../../src/runtime/config.ts';
import type { ServiceTuning } from '../../src/runtime/service-catalog.ts';

export interface PlatformProcessConfig {
  config: PaystreamConfig;
  tuning: ServiceTuning;
  /** Run only these services (`paystream start --only`); empty: every service. */
  only: string[];
}

/** Driver → platform. */
export type PlatformRequest = { type: 'query'; id: number; sql: string; params: unknown[] } | { type: 'stop' };

/** Platform → driver. `topics` are the Kafka topics it provisioned (namespaced), for the driver to delete at the end. */
export type PlatformMessage =
  | { type: 'ready'; url: string; topics: string[] }
  | { type: 'rows'; id: number; rows: Record<string, unknown>[] }
  | { type: 'query-failed'; id: number; message: string }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

const send = (message: PlatformMessage): Promise<void> => new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));

// The driver going away (it crashed, Ctrl-C) must not leave consumers running against the broker.
process.on('disconnect', () => process.exit(1));

const { config, tuning, only } = await new Promise<PlatformProcessConfig>((resolve) =>
  process.once('message', (message) => resolve(message as PlatformProcessConfig)),
);
let platform: RunningPlatform;
try {
  platform = await startPlatform(config, pino({ level: config.logLevel, base: { service: 'paystream-bench' } }, pino.destination(2)), {
    tuning,
    only,
  });
} catch (error) {
  await send({ type: 'failed', message: (error as Error).stack ?? String(error) });
  process.exit(1);
}
const namespace = config.namespace ? `${config.namespace}.` : '';
const topics = config.eventLog.kind === 'kafka' ? topicsOf(platform.services, config).map((spec) => `${namespace}${spec.name}`) : [];
process.on('message', (raw) => {
  const request = raw as PlatformRequest;
  if (request.type === 'stop') void stop();
  else void answer(request);
});
await send({ type: 'ready', url: platform.url, topics });

async function answer({ id, sql, params }: Extract<PlatformRequest, { type: 'query' }>): Promise<void> {
  try {
    const { rows } = await platform.backbone.db.query<Record<string, unknown>>(sql, params);
    await send({ type: 'rows', id, rows });
  } catch (error) {
    await send({ type: 'query-failed', id, message: (error as Error).message });
  }
}

async function stop(): Promise<void> {
  // Graceful, as on SIGTERM: in-flight batches finish and commit; `--cpu-prof` writes its profile on exit.
  await platform.close();
  await send({ type: 'stopped' });
  process.exit(0);
}
