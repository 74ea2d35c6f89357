/**
 * The `paystream` command line, on commander: start the platform, manage topics, inspect and replay
 * dead letters, verify the audit chain, manage API keys, reconcile a business day, replay an
 * authorization scenario.
 *
 * Conventions: `--help` exits 0 everywhere; an unknown command or flag, or a missing required
 * option, prints the usage on stderr and exits 2; `--json` prints one JSON document on stdout and
 * nothing else there (progress and errors go to stderr); an error is one line on stderr with exit
 * code 1, with its stack trace only under `--debug` or LOG_LEVEL=debug. Commands that the running
 * platform's API offers (keys, dlq, reconcile) go through it when given an API key; the others open the
 * database and, when a running platform holds the embedded one, say so in one line.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { readConfig, type PaystreamConfig } from '../runtime/config.ts';
import { declaredTopics } from '../runtime/topic-catalog.ts';
import { planTopics, applyTopicPlan, formatPlan } from '../backbone/topics/index.ts';
import type { DeadLetterFilter } from '../backbone/dead-letter/dead-letter-replay.ts';
import { allScopes } from '../services/http/scopes.ts';
import { serviceNames } from '../runtime/service-catalog.ts';
import type { ApiKeyView } from '../services/gateway/index.ts';
import {
  auditVerifyCommand,
  describeCreatedKey,
  describeKeys,
  describeRevokedKey,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  parseKeyOptions,
  type CommandOutcome,
} from './admin-commands.ts';
import { callApi, type ApiTarget } from './api-client.ts';
import { addAuthzCommands } from './authz-command.ts';
import { CliError } from './cli-error.ts';
import { withLocalBackbone } from './local-backbone.ts';
import { startCommand } from './start-command.ts';

/** Where the command line writes, and the environment it reads (process.env in main.ts). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** Exit codes: 0 done, 1 failed, 2 usage error, 3 reconciliation found breaks. */
export const ExitCodes = { ok: 0, failed: 1, usage: 2, breaks: 3 } as const;

export const packageVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
  url?: string;
  key?: string;
}

/** Runs the command line on `argv` (without the node and script paths); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCodes.ok;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    if (error instanceof CliError) {
      io.err(`paystream: ${error.message}`);
      return error.exitCode;
    }
    const debug = argv.includes('--debug') || io.env.LOG_LEVEL === 'debug' || io.env.LOG_LEVEL === 'trace';
    io.err(`paystream: ${messageOf(error)}${debug ? '' : ' (--debug shows the stack trace)'}`);
    if (debug) io.err(error instanceof Error ? (error.stack ?? String(error)) : String(error));
    return ExitCodes.failed;
  }
}

/** The command tree (exported so tests can walk every command). */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('paystream')
    .description('paystream: an event-driven payment platform on Apache Kafka and PostgreSQL')
    .version(packageVersion, '--version', 'print the version')
    .option('--json', 'print one JSON document on stdout (for scripts)')
    .option('--debug', 'show stack traces of unexpected errors')
    .option('--url <url>', 'the running platform (PAYSTREAM_URL; default http://127.0.0.1:$PORT)')
    .option('--key <apiKey>', 'API key for commands that call the running platform (PAYSTREAM_API_KEY)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => io.err(text.replace(/\n$/, '')) })
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Environment: PORT (3000), HOST (127.0.0.1), PAYSTREAM_DATA_DIR (./.paystream), DATABASE_URL,
KAFKA_BROKERS, KAFKA_REPLICATION_FACTOR, SCHEMA_REGISTRY_URL, LOG_LEVEL (info), PAYSTREAM_URL,
PAYSTREAM_API_KEY.
Exit codes: 0 done, 1 failed, 2 usage error, 3 reconciliation found breaks.`,
    );

  const context = (command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const config = readConfig(io.env);
    return { globals, config, debug: globals.debug === true || config.logLevel === 'debug' || config.logLevel === 'trace' };
  };
  const emit = (command: Command, outcome: CommandOutcome) => {
    const { json } = command.optsWithGlobals<GlobalOptions>();
    if (json) {
      if (outcome.json !== undefined)
        io.out(JSON.stringify(outcome.json, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
    } else {
      for (const line of outcome.stdout) io.out(line);
    }
    for (const line of outcome.stderr) io.err(line);
    setExitCode(outcome.exitCode);
  };

  program
    .command('start')
    .description('run paystream (embedded default: PGlite in ./.paystream, no servers) until SIGINT or SIGTERM')
    .option('--only <services>', `run only these services, comma-separated (${serviceNames.join(', ')})`, collectList, [])
    .action(async (options: { only: string[] }, command: Command) => {
      setExitCode(await startCommand(context(command).config, options.only, io.out));
    });

  addTopicCommands(program, context, emit);
  addDeadLetterCommands(program, context, emit, io);
  program
    .command('audit')
    .description("the audit log's hash chain")
    .command('verify')
    .description('walk the audit chain on the database; exit 1 at the first break')
    .action(async (_options: unknown, command: Command) => {
      const { config, debug } = context(command);
      emit(
        command,
        await withLocalBackbone(config, { instead: 'stop it first (SIGTERM), then verify', debug }, (backbone) =>
          auditVerifyCommand(backbone.db),
        ),
      );
    });
  addKeyCommands(program, context, emit);

  program
    .command('reconcile')
    .description('reconcile a business day on the running platform, through its API (scope ops); exit 3 when it finds breaks')
    .requiredOption('--date <YYYY-MM-DD>', 'the business day (UTC)')
    .action(async (options: { date: string }, command: Command) => {
      const target = apiTarget(context(command).globals, context(command).config, 'ops');
      io.err(`reconciling ${options.date} on ${target.url}…`);
      const report = (await callApi(target, 'POST', `/v1/reconciliation/${encodeURIComponent(options.date)}/runs`)) as {
        clean: boolean;
        breaks?: { kind: string; paymentId?: string; uetr?: string; detail: string }[];
        counts?: unknown;
      };
      const breaks = report.breaks ?? [];
      emit(command, {
        stdout: [
          `reconciliation of ${options.date}: ${report.clean ? 'clean' : `${breaks.length} breaks`} ${JSON.stringify(report.counts)}`,
          ...breaks.map((item) => `  ${item.kind} payment=${item.paymentId ?? '-'} uetr=${item.uetr ?? '-'}: ${item.detail}`),
        ],
        stderr: [],
        exitCode: report.clean ? ExitCodes.ok : ExitCodes.breaks,
        json: report,
      });
    });
  addAuthzCommands(program, emit);
  return program;
}

type Context = (command: Command) => { globals: GlobalOptions; config: PaystreamConfig; debug: boolean };
type Emit = (command: Command, outcome: CommandOutcome) => void;

function addTopicCommands(program: Command, context: Context, emit: Emit): void {
  const topics = program.command('topics').description("the declared Kafka topics (or the embedded log's)");
  for (const [name, description] of [
    ['plan', 'show what applying the declared topics would change'],
    ['apply', 'create / alter the declared topics (idempotent)'],
  ] as const) {
    topics
      .command(name)
      .description(description)
      .action(async (_options: unknown, command: Command) => {
        const { config, debug } = context(command);
        const instead = 'it applied the declared topics when it started; stop it first (SIGTERM) to plan or apply them here';
        emit(
          command,
          await withLocalBackbone(config, { instead, debug }, async (backbone) => {
            const declared = declaredTopics(config, backbone);
            const plan = planTopics(declared, await backbone.topicAdmin.describeTopics(declared.map((topic) => topic.name)));
            if (name === 'apply') await applyTopicPlan(backbone.topicAdmin, plan);
            return { stdout: [formatPlan(plan)], stderr: [], exitCode: 0, json: { applied: name === 'apply', ...plan } };
          }),
        );
      });
  }
}

function addDeadLetterCommands(program: Command, context: Context, emit: Emit, io: CliIo): void {
  const dlq = program
    .command('dlq')
    .description('dead letters: through the running platform with --key / PAYSTREAM_API_KEY (scope ops), else on the database');
  const filterOptions = (command: Command) =>
    command
      .requiredOption('--topic <topic>', 'the topic the letters were consumed from')
      .requiredOption('--consumer <consumer>', 'the consumer that dead-lettered them')
      .option('--message-key <key>', "only the letters of this message key (e.g. an account's)")
      .option('--code <code>', 'only this error code')
      .option('--from <ISO>', 'failed at or after this instant', isoInstant)
      .option('--to <ISO>', 'failed before this instant', isoInstant)
      .option('--include-replayed', 'also the letters already replayed');
  type FilterOptions = {
    topic: string;
    consumer: string;
    messageKey?: string;
    code?: string;
    from?: number;
    to?: number;
    includeReplayed?: boolean;
  };
  const filterOf = (options: FilterOptions): DeadLetterFilter => ({
    topic: options.topic,
    consumer: options.consumer,
    ...(options.messageKey !== undefined && { key: options.messageKey }),
    ...(options.code !== undefined && { errorCode: options.code }),
    ...(options.from !== undefined && { failedFromMs: options.from }),
    ...(options.to !== undefined && { failedBeforeMs: options.to }),
    includeReplayed: options.includeReplayed === true,
  });
  const instead = (url: string) => `pass an API key with scope ops (--key or PAYSTREAM_API_KEY) to do this through its API at ${url}`;
  const asJson = (value: unknown) => JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
  /** The filter as the API takes it (instants as ISO 8601). */
  const apiFilterOf = (filter: DeadLetterFilter) => ({
    topic: filter.topic,
    consumer: filter.consumer,
    ...(filter.key !== undefined && { key: filter.key }),
    ...(filter.errorCode !== undefined && { code: filter.errorCode }),
    ...(filter.failedFromMs !== undefined && { from: new Date(filter.failedFromMs).toISOString() }),
    ...(filter.failedBeforeMs !== undefined && { to: new Date(filter.failedBeforeMs).toISOString() }),
    includeReplayed: filter.includeReplayed === true,
  });
  const listed = (letters: readonly unknown[]): CommandOutcome => ({
    stdout: [...letters.map(asJson), `${letters.length} dead letters`],
    stderr: [],
    exitCode: 0,
    json: { deadLetters: letters },
  });
  const replayed = (
    result: { replayId?: string | null | undefined; dryRun: boolean; letters: readonly unknown[] },
    consumer: string,
  ): CommandOutcome => ({
    stdout: [
      `${result.dryRun ? 'would replay' : `replayed (replay ${result.replayId})`} ${result.letters.length} dead letters to ${consumer}`,
    ],
    stderr: [],
    exitCode: 0,
    json: result,
  });

  filterOptions(dlq.command('list').description('list dead letters, one JSON line each')).action(
    async (options: FilterOptions, command: Command) => {
      const { globals, config, debug } = context(command);
      const filter = filterOf(options);
      const target = optionalApiTarget(globals, config);
      const progress = () =>
        io.err(`loading the dead letters of ${filter.consumer} on ${filter.topic}${target ? ` from ${target.url}` : ''}…`);
      if (target) {
        progress();
        const query = new URLSearchParams(
          Object.entries(apiFilterOf(filter)).map(([name, value]): [string, string] => [name, String(value)]),
        );
        return emit(
          command,
          listed(((await callApi(target, 'GET', `/v1/dead-letters?${query}`)) as { deadLetters: unknown[] }).deadLetters),
        );
      }
      emit(
        command,
        await withLocalBackbone(config, { instead: instead(apiUrl(globals, config)), debug }, async (backbone) => {
          progress();
          return listed(await backbone.deadLetters.list(filter));
        }),
      );
    },
  );

  filterOptions(dlq.command('replay').description('replay dead letters to their consumer, recorded with who and why'))
    .requiredOption('--operator <who>', 'who replays (recorded)')
    .requiredOption('--reason <why>', 'why (recorded)')
    .option('--dry-run', 'show what would be replayed, replay nothing')
    .action(async (options: FilterOptions & { operator: string; reason: string; dryRun?: boolean }, command: Command) => {
      const { globals, config, debug } = context(command);
      const filter = filterOf(options);
      const dryRun = options.dryRun === true;
      const target = optionalApiTarget(globals, config);
      const progress = () =>
        io.err(
          `${dryRun ? 'looking for' : 'replaying'} the dead letters of ${filter.consumer} on ${filter.topic}${target ? ` through ${target.url}` : ''}…`,
        );
      if (target) {
        progress();
        const result = (await callApi(target, 'POST', '/v1/dead-letters/replays', {
          ...apiFilterOf(filter),
          operator: options.operator,
          reason: options.reason,
          dryRun,
        })) as { replayId: string | null; dryRun: boolean; letters: unknown[] };
        return emit(command, replayed(result, filter.consumer));
      }
      emit(
        command,
        await withLocalBackbone(config, { instead: instead(apiUrl(globals, config)), debug }, async (backbone) => {
          progress();
          return replayed(
            await backbone.deadLetters.replay({ filter, operator: options.operator, reason: options.reason, dryRun }),
            filter.consumer,
          );
        }),
      );
    });

  dlq
    .command('ack')
    .description(
      "mark a topic's dead letters so far as reviewed: paystream_dlq_depth drops to 0 and PaystreamDeadLettersWaiting resolves (the letters stay; list and replay still find them)",
    )
    .requiredOption('--topic <topic>', 'the topic whose dead-letter topic was reviewed')
    .requiredOption('--operator <who>', 'who reviewed them (logged)')
    .requiredOption('--reason <why>', 'why (logged)')
    .action(async (options: { topic: string; operator: string; reason: string }, command: Command) => {
      const { globals, config, debug } = context(command);
      const target = optionalApiTarget(globals, config);
      const acknowledged = (count: number): CommandOutcome => ({
        stdout: [`acknowledged ${count} dead letters of ${options.topic}`],
        stderr: [],
        exitCode: 0,
        json: { topic: options.topic, acknowledged: count },
      });
      io.err(`acknowledging the dead letters of ${options.topic}${target ? ` through ${target.url}` : ''}…`);
      if (target) {
        const result = (await callApi(target, 'POST', '/v1/dead-letters/acknowledgements', {
          topic: options.topic,
          operator: options.operator,
          reason: options.reason,
        })) as { acknowledged: number };
        return emit(command, acknowledged(result.acknowledged));
      }
      emit(
        command,
        await withLocalBackbone(config, { instead: instead(apiUrl(globals, config)), debug }, async (backbone) =>
          acknowledged(await backbone.deadLetters.acknowledge(options.topic)),
        ),
      );
    });
}

function addKeyCommands(program: Command, context: Context, emit: Emit): void {
  const keys = program
    .command('keys')
    .description('API keys: through the running platform with --key / PAYSTREAM_API_KEY (scope keys:admin), else on the database')
    .addHelpText('after', `\nScopes: ${allScopes.join(', ')}. Through the API a key grants only scopes it holds itself.`);
  const instead = (url: string) =>
    `pass an API key with scope keys:admin (--key or PAYSTREAM_API_KEY) to do this through its API at ${url}`;

  keys
    .command('create')
    .description('create an API key (printed once)')
    .requiredOption('--label <label>', 'who or what uses the key')
    .requiredOption('--scopes <scopes>', `comma-separated: ${allScopes.join(', ')}`)
    .option('--expires <when>', 'a duration (90d, 12h, 8w) or an ISO date (2027-03-01); default never')
    .action(async (options: { label: string; scopes: string; expires?: string }, command: Command) => {
      const { globals, config, debug } = context(command);
      const parsed = parseKeyOptions(options);
      if (!parsed.ok) return emit(command, parsed.outcome);
      const { request } = parsed;
      const target = optionalApiTarget(globals, config);
      if (target) {
        const body = {
          label: request.label,
          scopes: request.scopes,
          ...(request.expiresAtMs !== undefined && { expiresAt: new Date(request.expiresAtMs).toISOString() }),
        };
        const created = (await callApi(target, 'POST', '/v1/api-keys', body)) as ApiKeyView & { key: string };
        return emit(command, describeCreatedKey(created.key, created));
      }
      emit(
        command,
        await withLocalBackbone(config, { instead: instead(apiUrl(globals, config)), debug }, (backbone) =>
          keysCreateCommand(backbone.db, backbone.clock, request),
        ),
      );
    });

  keys
    .command('list')
    .description('every key: id, state, scopes, dates, label (never a secret)')
    .action(async (_options: unknown, command: Command) => {
      const { globals, config, debug } = context(command);
      const target = optionalApiTarget(globals, config);
      if (target)
        return emit(command, describeKeys(((await callApi(target, 'GET', '/v1/api-keys')) as { keys: ApiKeyView[] }).keys, Date.now()));
      emit(
        command,
        await withLocalBackbone(config, { instead: instead(apiUrl(globals, config)), debug }, (backbone) =>
          keysListCommand(backbone.db, backbone.clock),
        ),
      );
    });

  keys
    .command('revoke')
    .description('revoke a key: refused by every process within seconds')
    .argument('<keyId>', 'the key id (the 12 hex digits after psk_)', (value: string) => {
      if (!/^[0-9a-f]{12}$/.test(value)) throw new InvalidArgumentError('a key id is 12 hex digits (psk_<keyId>_…)');
      return value;
    })
    .action(async (keyId: string, _options: unknown, command: Command) => {
      const { globals, config, debug } = context(command);
      const target = optionalApiTarget(globals, config);
      if (target) return emit(command, describeRevokedKey((await callApi(target, 'POST', `/v1/api-keys/${keyId}/revoke`)) as ApiKeyView));
      emit(
        command,
        await withLocalBackbone(config, { instead: instead(apiUrl(globals, config)), debug }, (backbone) =>
          keysRevokeCommand(backbone.db, backbone.clock, keyId),
        ),
      );
    });
}

function apiUrl(globals: GlobalOptions, config: PaystreamConfig): string {
  return globals.url ?? config.platformUrl ?? `http://127.0.0.1:${config.port === 0 ? 3000 : config.port}`;
}

/** The running platform to call when an API key was given (--key or PAYSTREAM_API_KEY). */
function optionalApiTarget(globals: GlobalOptions, config: PaystreamConfig): ApiTarget | undefined {
  const key = globals.key ?? config.apiKey;
  return key === undefined ? undefined : { url: apiUrl(globals, config), key };
}

function apiTarget(globals: GlobalOptions, config: PaystreamConfig, scope: string): ApiTarget {
  const target = optionalApiTarget(globals, config);
  if (!target)
    throw new CliError(
      `this command calls the running platform: pass an API key with scope ${scope} (--key or PAYSTREAM_API_KEY)`,
      ExitCodes.usage,
    );
  return target;
}

/** commander's own exits: help and version are 0, every usage error 2 (its default is 1). */
function commanderExitCode(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCodes.ok;
  if (error.code === 'commander.help') return error.exitCode === 0 ? ExitCodes.ok : ExitCodes.usage;
  return ExitCodes.usage;
}

function collectList(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  ];
}

function isoInstant(value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError('an ISO 8601 date or date-time, like 2026-11-21 or 2026-11-21T09:00:00Z');
  return ms;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.split('\n')[0]!;
}
