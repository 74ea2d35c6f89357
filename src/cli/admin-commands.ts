/**
 * The operator commands `paystream audit verify` and `paystream keys create`, apart from main.ts
 * (which runs on import) so they can be tested on a database of their own. Each takes an open
 * database and returns what to print and the exit code; main.ts opens the backbone and prints.
 */
import type { Clock } from '../backbone/clock/clock.ts';
import type { Database } from '../backbone/storage/database.ts';
import { migrate } from '../backbone/storage/migrate.ts';
import { verifyAuditChain, type AuditChainVerification } from '../services/audit/index.ts';
import { ApiKeys, gatewayMigrations } from '../services/gateway/index.ts';
import { allScopes, type Scope } from '../services/http/scopes.ts';

/** What a command has to say: lines for stdout, lines for stderr, and the process's exit code. */
export interface CommandOutcome {
  stdout: string[];
  stderr: string[];
  exitCode: 0 | 1;
}

/**
 * `paystream audit verify`: walks the whole audit chain (read-only). Exit code 0 when it holds, 1
 * with the first broken sequence when it does not, and 1 when the database has no audit log at
 * all (the wrong database, most likely: that must not pass as an empty, valid chain).
 */
export async function auditVerifyCommand(db: Database): Promise<CommandOutcome> {
  const exists = await db.query<{ present: boolean }>(`select to_regclass('audit_chain_head') is not null as present`);
  if (!exists.rows[0]?.present) return { stdout: [], stderr: ['no audit log in this database: paystream has not run on it (check DATABASE_URL / PAYSTREAM_DATA_DIR)'], exitCode: 1 };
  return describeVerification(await verifyAuditChain(db));
}

export function describeVerification(result: AuditChainVerification): CommandOutcome {
  if (result.ok) return { stdout: [`audit chain ok: ${result.entries} entries, last sequence ${result.lastSequence}, head hash ${result.lastHash}`], stderr: [], exitCode: 0 };
  return {
    stdout: [],
    stderr: [`audit chain BROKEN at sequence ${result.sequence} (${result.reason}): ${result.detail}`, `${result.entries} entries verified before the break`],
    exitCode: 1,
  };
}

/**
 * Parses `--scopes payments:read,payments:write`: at least one, each one of `allScopes`,
 * duplicates dropped. Returns the scopes or why they were refused.
 */
export function parseScopes(text: string | undefined): { ok: true; scopes: Scope[] } | { ok: false; error: string } {
  const names = (text ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) return { ok: false, error: `--scopes is required: one or more of ${allScopes.join(', ')}, comma-separated` };
  const unknown = names.filter((name) => !(allScopes as readonly string[]).includes(name));
  if (unknown.length > 0) return { ok: false, error: `unknown scope ${unknown.join(', ')}; scopes: ${allScopes.join(', ')}` };
  return { ok: true, scopes: [...new Set(names as Scope[])] };
}

/** Longest label accepted: it names the key for operators, it is not a place for data. */
export const keyLabelLengthMax = 200;

/** A key to create, as `parseKeyOptions` checked it. */
export interface KeyRequest {
  label: string;
  scopes: Scope[];
}

/**
 * Checks `--label` and `--scopes` before anything is opened, so a typo costs no database start.
 * Returns the request, or the outcome to print (exit code 1).
 */
export function parseKeyOptions(options: { label?: string | undefined; scopes?: string | undefined }): { ok: true; request: KeyRequest } | { ok: false; outcome: CommandOutcome } {
  const refuse = (message: string) => ({ ok: false as const, outcome: { stdout: [], stderr: [message], exitCode: 1 as const } });
  const label = options.label?.trim() ?? '';
  if (label === '' || label.length > keyLabelLengthMax) return refuse(`--label is required: 1 to ${keyLabelLengthMax} characters naming who or what uses the key`);
  const scopes = parseScopes(options.scopes);
  if (!scopes.ok) return refuse(scopes.error);
  return { ok: true, request: { label, scopes: scopes.scopes } };
}

/**
 * `paystream keys create --label L --scopes S,...`: creates an API key and prints it this once
 * (only its hash is stored). Creates the gateway's tables first if this database has none yet,
 * as a first `paystream start` would.
 */
export async function keysCreateCommand(db: Database, clock: Clock, request: KeyRequest): Promise<CommandOutcome> {
  await migrate(db, 'gateway', gatewayMigrations);
  const created = await new ApiKeys(db, clock).create(request.label, request.scopes);
  return {
    stdout: [`API key ${created.keyId} created for "${request.label}" with scopes ${request.scopes.join(', ')}. It is shown this once; keep it:`, `  ${created.key}`],
    stderr: [],
    exitCode: 0,
  };
}
