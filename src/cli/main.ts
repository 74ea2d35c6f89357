#!/usr/bin/env node
/**
 * The `paystream` command line: start the platform, manage topics, inspect and replay dead letters.
 * Run through `npm start` / `npm run paystream -- <command>`, which make sure Node.js 24 is used.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../backbone/observability/logger.ts';
import { readConfig, describeConfig } from '../runtime/config.ts';
import { openBackbone } from '../runtime/backbone.ts';
import { buildHttpServer, schemaRegistryPrefix } from '../runtime/http-server.ts';
import { declaredTopics } from '../runtime/topic-catalog.ts';
import { planTopics, applyTopicPlan, formatPlan } from '../backbone/topics/index.ts';
import { BackboneError } from '../backbone/errors.ts';
import { startMaintenance } from '../runtime/maintenance.ts';

const usage = `usage: paystream <command>

  start                         run paystream (embedded default: PGlite in ./.paystream, no servers)
  topics plan                   show what applying the declared topics would change
  topics apply                  create / alter the declared topics (idempotent)
  dlq list --topic T --consumer C [--key K] [--code CODE] [--from ISO] [--to ISO]
  dlq replay --topic T --consumer C --operator WHO --reason WHY [--dry-run] [filters as for list]

Environment: PORT (3000), HOST (127.0.0.1), PAYSTREAM_DATA_DIR (./.paystream), DATABASE_URL,
KAFKA_BROKERS, KAFKA_REPLICATION_FACTOR, SCHEMA_REGISTRY_URL, LOG_LEVEL (info).`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'topics':
      return topics(sub);
    case 'dlq':
      return deadLetters(sub, rest);
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

async function start(): Promise<number> {
  const config = readConfig(process.env);
  const logger = createLogger({ level: config.logLevel, service: 'paystream' });
  logger.info(describeConfig(config), 'starting paystream');
  const backbone = await openBackbone(config, logger);
  const plan = planTopics(declaredTopics(config), await backbone.topicAdmin.describeTopics(declaredTopics(config).map((t) => t.name)));
  await applyTopicPlan(backbone.topicAdmin, plan);
  backbone.relay?.start();
  const maintenance = startMaintenance(backbone);
  const app = await buildHttpServer(backbone);
  const address = await app.listen({ port: config.port, host: config.host });
  console.log(`paystream is running at ${address}
  health:           ${address}/health/ready
  metrics:          ${address}/metrics
  schema registry:  ${address}${schemaRegistryPrefix}/subjects   (Confluent REST API)
Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight work finishes first.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info('shutting down');
  clearInterval(maintenance);
  await app.close();
  await backbone.close();
  return 0;
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
    const declared = declaredTopics(config);
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof BackboneError ? `paystream: ${error.code}: ${error.message}` : error);
    process.exitCode = 1;
  },
);
