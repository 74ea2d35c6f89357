/**
 * The RTGS network for the pipeline bench: the simulator of tools/rtgs-simulator in a process of
 * its own (the network is another system; its CPU is reported apart from the platform's), with
 * its state in memory only and its logger at warn. `tools/rtgs-simulator/main.ts` would log two
 * lines per payment and append every payment to a state file, which is the simulator's cost, not
 * the platform's. The driver forks it, sends the options, and receives `ready` with the URL.
 */
import pino from 'pino';
import { startRtgsSimulator } from '../../tools/rtgs-simulator/index.ts';

export interface SimulatorProcessConfig {
  port: number;
  callbackUrl: string;
  callbackToken: string;
  latencyMs: number;
}

export type SimulatorMessage = { type: 'ready'; url: string } | { type: 'failed'; message: string };

process.on('disconnect', () => process.exit(1));

const config = await new Promise<SimulatorProcessConfig>((resolve) =>
  process.once('message', (message) => resolve(message as SimulatorProcessConfig)),
);
try {
  const simulator = await startRtgsSimulator({ ...config, logger: pino({ level: 'warn', name: 'rtgs-simulator' }, pino.destination(2)) });
  process.send!({ type: 'ready', url: simulator.url } satisfies SimulatorMessage);
  process.once('SIGTERM', () => void simulator.close().then(() => process.exit(0)));
} catch (error) {
  process.send!({ type: 'failed', message: (error as Error).stack ?? String(error) } satisfies SimulatorMessage, undefined, {}, () =>
    process.exit(1),
  );
}
