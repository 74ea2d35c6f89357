import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createLogger } from '../backbone/observability/logger.ts';
import { describeConfig, type PaystreamConfig } from '../runtime/config.ts';
import { schemaRegistryPrefix } from '../runtime/http-server.ts';
import { startPlatform } from '../runtime/platform.ts';
import { freePort, spawnRtgsSimulator } from '../runtime/rtgs-simulator-process.ts';
import { RtgsProtocol } from '../services/rtgs/index.ts';

/**
 * `paystream start`: runs the platform (and, without RTGS_URL, the RTGS simulator as its child)
 * until SIGINT or SIGTERM, then stops gracefully: HTTP intake first, consumers finishing their
 * batches, the simulator last, and one final log line saying it stopped. The signal handlers are
 * installed before anything starts, so a signal during startup stops the platform as soon as it
 * is up instead of killing the process with the simulator and the data directory's lock behind it.
 */
export async function startCommand(config: PaystreamConfig, only: readonly string[], print: (text: string) => void): Promise<number> {
  const logger = createLogger({ level: config.logLevel, service: only.length > 0 ? `paystream-${only.join('+')}` : 'paystream' });
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Further signals must not cut the graceful stop short: on Ctrl-C the terminal sends SIGINT
      // to npm and to this process, and npm passes its own on, so one Ctrl-C arrives twice.
      const again = (next: NodeJS.Signals) => logger.info({ signal: next }, 'already stopping; in-flight work finishes first');
      process.on('SIGINT', again);
      process.on('SIGTERM', again);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  logger.info(describeConfig(config), 'starting paystream');
  // Without RTGS_URL, the RTGS network is the simulator, in its own process, run by this one.
  const runsSimulator = config.rtgs.url === undefined && (only.length === 0 || only.includes('rtgs'));
  const simulatorPort = runsSimulator ? (config.rtgs.simulatorPort ?? (await freePort())) : undefined;
  const effective =
    simulatorPort === undefined
      ? config
      : {
          ...config,
          rtgs: {
            ...config.rtgs,
            url: `http://127.0.0.1:${simulatorPort}`,
            callbackToken: config.rtgs.callbackToken ?? randomBytes(24).toString('base64url'),
          },
        };
  // The simulator answers before the platform's services start, so none of them (the reconciliation
  // scheduler fetches the last business day's statement at once) finds the network missing. It
  // calls back to the platform's port, chosen here when PORT=0.
  const port = simulatorPort !== undefined && config.port === 0 ? await freePort() : config.port;
  const simulator =
    simulatorPort === undefined
      ? undefined
      : await spawnRtgsSimulator({
          port: simulatorPort,
          callbackUrl: `http://${callbackHost(config.host)}:${port}${RtgsProtocol.callbackPath}`,
          callbackToken: effective.rtgs.callbackToken!,
          dataFile: join(config.dataDir, 'rtgs-simulator.jsonl'),
          logger,
        });
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  try {
    platform = await startPlatform(effective, logger, { only, port });
  } catch (error) {
    await simulator?.stop();
    throw error;
  }
  print(welcome(platform.url, only, effective.rtgs.url, simulator !== undefined, platform.initialApiKey, config.apiKey !== undefined));
  const signal = await stopSignal;
  logger.info({ signal }, 'shutting down');
  await platform.close();
  await simulator?.stop();
  logger.info({ signal }, 'paystream stopped');
  return 0;
}

function welcome(
  address: string,
  only: readonly string[],
  rtgsUrl: string | undefined,
  simulated: boolean,
  initialApiKey: string | undefined,
  envKey: boolean,
): string {
  const key = initialApiKey ?? (envKey ? '$PAYSTREAM_API_KEY' : '<your API key>');
  return `paystream is running at ${address}${only.length > 0 ? ` (services: ${only.join(', ')})` : ''}
  API (OpenAPI):    ${address}/openapi.json
  health:           ${address}/health/ready
  metrics:          ${address}/metrics
  schema registry:  ${address}${schemaRegistryPrefix}/subjects   (Confluent REST API)
  RTGS network:     ${rtgsUrl}${simulated ? '   (simulator, its own process)' : ''}
${initialApiKey ? `\nAPI key (shown once, keep it; it has every scope):\n  ${initialApiKey}\n` : ''}
Try it:
  export KEY=${key}
  curl -s -X POST ${address}/v1/accounts -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"name":"Alice","currency":"EUR"}'
  curl -s -X POST ${address}/v1/accounts/<iban>/deposits -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"amount":"5000.00"}'
  curl -s -X POST ${address}/v1/payments -H "Authorization: Bearer $KEY" -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" -H 'content-type: application/json' \\
    -d '{"amount":"1250.50","currency":"EUR","debtor":{"name":"Alice","account":"<iban>","postalAddress":{"townName":"Berlin","country":"DE"}},"creditor":{"name":"Bob","account":"FR1420041010050500013M02606","agent":"BNPAFRPP","country":"FR","postalAddress":{"townName":"Paris","country":"FR"}}}'
  curl -s ${address}/v1/payments/<paymentId> -H "Authorization: Bearer $KEY"
Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight work finishes first.`;
}

/** Where a process on this machine reaches a server listening on `host`. */
function callbackHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
