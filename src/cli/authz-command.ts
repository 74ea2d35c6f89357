import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { authorizationOptions, replayScenario, ScenarioLineError } from '../services/authorization/index.ts';
import type { CommandOutcome } from './admin-commands.ts';
import { CliError } from './cli-error.ts';

interface ReplayOptions {
  input: string;
  graceMs?: number;
  standInLimit?: bigint;
  holdTtlMs?: number;
  overrideWindowMs?: number;
}

/**
 * `paystream authz replay`: the authorization processor on a simulated clock over a scenario file
 * (docs/authorization.md, "Deterministic replay"); decisions on stdout as JSON lines in the order
 * made, refused overrides on stderr. Same file, same options, same bytes.
 */
export function addAuthzCommands(program: Command, emit: (command: Command, outcome: CommandOutcome) => void): void {
  program
    .command('authz')
    .description('payment authorization as a stream processor')
    .command('replay')
    .description('decide the requests of a scenario (JSON lines) on a simulated clock; print the decisions as JSON lines')
    .requiredOption('--input <file>', 'the scenario: lines {"at", "kind": request|state|watermark|override, "partition"?, "value"}')
    .option('--grace-ms <ms>', 'how long a request waits for complete state before standing in (3000)', wholeNumber)
    .option('--stand-in-limit <minor>', 'the largest stand-in approval, in minor units (5000)', (value) => BigInt(wholeNumber(value)))
    .option('--hold-ttl-ms <ms>', 'how long a hold lasts unless confirmed (604800000: 7 days)', wholeNumber)
    .option('--override-window-ms <ms>', 'how long after a decline an override may approve it (60000)', wholeNumber)
    .action(async (options: ReplayOptions, command: Command) => {
      let scenario: string;
      try {
        scenario = await readFile(options.input, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${options.input}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      const settings = authorizationOptions({
        ...(options.graceMs !== undefined && { graceMs: options.graceMs }),
        ...(options.standInLimit !== undefined && { standInLimitMinor: options.standInLimit }),
        ...(options.holdTtlMs !== undefined && { holdTtlMs: options.holdTtlMs }),
        ...(options.overrideWindowMs !== undefined && { overrideWindowMs: options.overrideWindowMs }),
      });
      try {
        const result = replayScenario(scenario, settings);
        emit(command, {
          stdout: result.decisionLines,
          stderr: result.refusalLines,
          exitCode: 0,
          json: { decisions: result.decisionLines.map((line) => JSON.parse(line) as unknown), refusals: result.refusalLines },
        });
      } catch (error) {
        if (error instanceof ScenarioLineError) throw new CliError(`${options.input} ${error.message}`);
        throw error;
      }
    });
}

function wholeNumber(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('a whole number ≥ 0');
  return Number(value);
}
