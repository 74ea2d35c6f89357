#!/usr/bin/env node
/**
 * The `paystream` command line: start the platform, manage topics, inspect and replay dead letters,
 * verify the audit chain, create API keys.
 * Run through `npm start` / `npm run paystream -- <command>`, which make sure Node.js 24 is used.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../backbone/observability/logger.ts';
import { readConfig, describeConfig } from '../runtime/config.ts';
import { openBackbone, type Backbone } from '../runtime/backbone.ts';
import { schemaRegistryPrefix } from '../runtime/http-server.ts';
import { startPlatform } from '../runtime/platform.ts';
import { freePort, spawnRtgsSimulator } from '../runtime/rtgs-simulator-process.ts';
import { RtgsProtocol } from '../services/rtgs/index.ts';
import { allScopes } from '../services/http/scopes.ts';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const rtgsCallbackPath = RtgsProtocol.callbackPath;
import { declaredTopics } from '../runtime/topic-catalog.ts';
import { planTopics, applyTopicPlan, formatPlan } from '../backbone/topics/index.ts';
import { BackboneError } from '../backbone/errors.ts';
import { auditVerifyCommand, keysCreateCommand, parseKeyOptions, type CommandOutcome } from './admin-commands.ts';

const usage = `usage: paystream <command>

  start [--only SERVICE,...]    run paystream (embedded default: PGlite in ./.paystream, no servers);
                                --only runs the named services (gateway, validation, ledger, ...)
  topics plan                   show what applying the declared topics would change
  topics apply                  create / alter the declared topics (idempotent)
  reconcile --date YYYY-MM-DD [--url U]   reconcile a business day on the running platform (exit 2: breaks)
  dlq list --topic T --consumer C [--key K] [--code CODE] [--from ISO] [--to ISO]
  dlq replay --topic T --consumer C --operator WHO --reason WHY [--dry-run] [filters as for list]
  audit verify                  check the audit log's hash chain; exit code 1 at the first break
  keys create --label L --scopes S,...
                                create an API key (printed once); scopes: ${allScopes.join(', ')}

Environment: PORT (3000), HOST (127.0.0.1), PAYSTREAM_DATA_DIR (./.paystream), DATABASE_URL,
KAFKA_BROKERS, KAFKA_REPLICATION_FACTOR, SCHEMA_REGISTRY_URL, LOG_LEVEL (info).`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'start':
      return start([sub, ...rest].filter((arg): arg is string => arg !== undefined));
    case 'topics':
      return topics(sub);
    case 'dlq':
      return deadLetters(sub, rest);
    case 'audit':
      return audit(sub, rest);
    case 'keys':
      return keys(sub, rest);
    case 'reconcile':
      return reconcile([sub, ...rest].filter((arg): arg is string => arg !== undefined));
    case undefined:
    case 'help':
    case '--help':
      console.log(usage);
      return command === undefined ? 1 : 0;
    default:
      console.error(`unknown command: ${command}\n\n${usage}`);
      return 1;
  }
}

/**
 * Runs the reconciliation of a business day on the running platform, through its API (the process
 * that runs the `reconciliation` service; the embedded database is that process's alone).
 */
async function reconcile(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { date: { type: 'string' }, url: { type: 'string' } } });
  const config = readConfig(process.env);
  const url = values.url ?? `http://127.0.0.1:${config.port}`;
  if (!values.date || !config.apiKey) {
    console.error('usage: PAYSTREAM_API_KEY=<key with scope ops> paystream reconcile --date YYYY-MM-DD [--url http://127.0.0.1:3000]');
    return 1;
  }
  const response = await fetch(`${url}/v1/reconciliation/${encodeURIComponent(values.date)}/runs`, { method: 'POST', headers: { authorization: `Bearer ${config.apiKey}` } });
  const body = (await response.json()) as { clean?: boolean; breaks?: { kind: string; paymentId?: string; uetr?: string; detail: string }[]; counts?: unknown; detail?: string };
  if (response.status !== 201) {
    console.error(`reconcile ${values.date}: ${response.status} ${body.detail ?? ''}`);
    return 1;
  }
  console.log(`reconciliation of ${values.date}: ${body.clean ? 'clean' : `${body.breaks?.length ?? 0} breaks`} ${JSON.stringify(body.counts)}`);
  for (const item of body.breaks ?? []) console.log(`  ${item.kind} payment=${item.paymentId ?? '-'} uetr=${item.uetr ?? '-'}: ${item.detail}`);
  return body.clean ? 0 : 2;
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { only: { type: 'string', multiple: true } } });
  const only = (values.only ?? []).flatMap((name) => name.split(',')).map((name) => name.trim()).filter(Boolean);
  const config = readConfig(process.env);
  const logger = createLogger({ level: config.logLevel, service: only.length > 0 ? `paystream-${only.join('+')}` : 'paystream' });
  logger.info(describeConfig(config), 'starting paystream');
  // Without RTGS_URL, the RTGS network is the simulator, in its own process, run by this one.
  const runsSimulator = config.rtgs.url === undefined && (only.length === 0 || only.includes('rtgs'));
  const simulatorPort = runsSimulator ? (config.rtgs.simulatorPort ?? (await freePort())) : undefined;
  const effective = simulatorPort === undefined ? config : { ...config, rtgs: { ...config.rtgs, url: `http://127.0.0.1:${simulatorPort}`, callbackToken: config.rtgs.callbackToken ?? randomBytes(24).toString('base64url') } };
  // The simulator answers before the platform's services start, so none of them (the reconciliation
  // scheduler fetches the last business day's statement at once) finds the network missing. It
  // calls back to the platform's port, chosen here when PORT=0.
  const port = simulatorPort !== undefined && config.port === 0 ? await freePort() : config.port;
  const simulator = simulatorPort === undefined ? undefined : await spawnRtgsSimulator({
    port: simulatorPort,
    callbackUrl: `http://${callbackHost(config.host)}:${port}${rtgsCallbackPath}`,
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
  const address = platform.url;
  const key = platform.initialApiKey ?? (config.apiKey ? '$PAYSTREAM_API_KEY' : '<your API key>');
  console.log(`paystream is running at ${address}${only.length > 0 ? ` (services: ${only.join(', ')})` : ''}
  API (OpenAPI):    ${address}/openapi.json
  health:           ${address}/health/ready
  metrics:          ${address}/metrics
  schema registry:  ${address}${schemaRegistryPrefix}/subjects   (Confluent REST API)
  RTGS network:     ${effective.rtgs.url}${simulator ? '   (simulator, its own process)' : ''}
${platform.initialApiKey ? `\nAPI key (shown once, keep it; it has every scope):\n  ${platform.initialApiKey}\n` : ''}
Try it:
  export KEY=${key}
  curl -s -X POST ${address}/v1/accounts -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"name":"Alice","currency":"EUR"}'
  curl -s -X POST ${address}/v1/accounts/<iban>/deposits -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"amount":"5000.00"}'
  curl -s -X POST ${address}/v1/payments -H "Authorization: Bearer $KEY" -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" -H 'content-type: application/json' \\
    -d '{"amount":"1250.50","currency":"EUR","debtor":{"name":"Alice","account":"<iban>","postalAddress":{"townName":"Berlin","country":"DE"}},"creditor":{"name":"Bob","account":"FR1420041010050500013M02606","agent":"BNPAFRPP","country":"FR","postalAddress":{"townName":"Paris","country":"FR"}}}'
  curl -s ${address}/v1/payments/<paymentId> -H "Authorization: Bearer $KEY"
Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight work finishes first.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info('shutting down');
  await platform.close();
  await simulator?.stop();
  return 0;
}

/** Where a process on this machine reaches a server listening on `host`. */
function callbackHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function topics(sub: string | undefined): Promise<number> {
  if (sub !== 'plan' && sub !== 'apply') {
    console.error(usage);
    return 1;
  }
  const config = readConfig(process.env);
  const logger = createLogger({ level: 'warn', service: 'paystream-cli' });
  const backbone = await openBackbone(config, logger);
  try {
    const declared = declaredTopics(config, backbone);
    const plan = planTopics(declared, await backbone.topicAdmin.describeTopics(declared.map((t) => t.name)));
    console.log(formatPlan(plan));
    if (sub === 'apply') await applyTopicPlan(backbone.topicAdmin, plan);
    return 0;
  } finally {
    await backbone.close();
  }
}

async function deadLetters(sub: string | undefined, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      topic: { type: 'string' },
      consumer: { type: 'string' },
      key: { type: 'string' },
      code: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      operator: { type: 'string' },
      reason: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'include-replayed': { type: 'boolean', default: false },
    },
  });
  if ((sub !== 'list' && sub !== 'replay') || !values.topic || !values.consumer) {
    console.error(usage);
    return 1;
  }
  const filter = {
    topic: values.topic,
    consumer: values.consumer,
    ...(values.key !== undefined && { key: values.key }),
    ...(values.code !== undefined && { errorCode: values.code }),
    ...(values.from !== undefined && { failedFromMs: Date.parse(values.from) }),
    ...(values.to !== undefined && { failedBeforeMs: Date.parse(values.to) }),
    includeReplayed: values['include-replayed'],
  };
  const config = readConfig(process.env);
  const backbone = await openBackbone(config, createLogger({ level: 'warn', service: 'paystream-cli' }));
  try {
    if (sub === 'list') {
      const letters = await backbone.deadLetters.list(filter);
      for (const letter of letters) console.log(JSON.stringify(letter, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      console.log(`${letters.length} dead letters`);
      return 0;
    }
    const result = await backbone.deadLetters.replay({ filter, operator: values.operator ?? '', reason: values.reason ?? '', dryRun: values['dry-run'] });
    console.log(`${result.dryRun ? 'would replay' : `replayed (replay ${result.replayId})`} ${result.letters.length} dead letters to ${filter.consumer}`);
    return 0;
  } finally {
    await backbone.close();
  }
}

async function audit(sub: string | undefined, args: string[]): Promise<number> {
  if (sub !== 'verify' || args.length > 0) {
    console.error(usage);
    return 1;
  }
  return withBackbone((backbone) => auditVerifyCommand(backbone.db));
}

async function keys(sub: string | undefined, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { label: { type: 'string' }, scopes: { type: 'string' } } });
  if (sub !== 'create') {
    console.error(usage);
    return 1;
  }
  const parsed = parseKeyOptions(values);
  if (!parsed.ok) return print(parsed.outcome);
  return withBackbone((backbone) => keysCreateCommand(backbone.db, backbone.clock, parsed.request));
}

/** Opens the backbone on the configured engines, runs `command`, prints its outcome, closes. */
async function withBackbone(command: (backbone: Backbone) => Promise<CommandOutcome>): Promise<number> {
  const backbone = await openBackbone(readConfig(process.env), createLogger({ level: 'warn', service: 'paystream-cli' }));
  try {
    return print(await command(backbone));
  } finally {
    await backbone.close();
  }
}

function print(outcome: CommandOutcome): number {
  for (const line of outcome.stdout) console.log(line);
  for (const line of outcome.stderr) console.error(line);
  return outcome.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof BackboneError ? `paystream: ${error.code}: ${error.message}` : error);
    process.exitCode = 1;
  },
);
