/**
 * The operator commands that work on the database directly: `paystream audit verify` and
 * `paystream keys create|list|revoke` when no API key is given. Apart from the command line's
 * parser (program.ts) so they can be tested on a database of their own. Each takes an open
 * database and returns what to print and the exit code; program.ts opens the backbone and prints.
 */
import type { Clock } from '../backbone/clock/clock.ts';
import type { Database } from '../backbone/storage/database.ts';
import { migrate } from '../backbone/storage/migrate.ts';
import { verifyAuditChain, type AuditChainVerification } from '../services/audit/index.ts';
import { ApiKeys, gatewayMigrations, maxKeyLabelLength, localOperatorKeyId, type ApiKeyView } from '../services/gateway/index.ts';
import { allScopes, type Scope } from '../services/http/scopes.ts';

export { maxKeyLabelLength };

/**
 * What a command has to say: lines for stdout, lines for stderr, the process's exit code, and
 * with `--json` the document printed on stdout instead of the lines.
 */
export interface CommandOutcome {
  stdout: string[];
  stderr: string[];
  exitCode: 0 | 1 | 2 | 3;
  json?: unknown;
}

/**
 * `paystream audit verify`: walks the whole audit chain (read-only). Exit code 0 when it holds, 1
 * with the first broken sequence when it does not, and 1 when the database has no audit log at
 * all (the wrong database, most likely: that must not pass as an empty, valid chain).
 */
export async function auditVerifyCommand(db: Database): Promise<CommandOutcome> {
  const exists = await db.query<{ present: boolean }>(`select to_regclass('audit_chain_head') is not null as present`);
  if (!exists.rows[0]?.present)
    return {
      stdout: [],
      stderr: ['no audit log in this database: paystream has not run on it (check DATABASE_URL / PAYSTREAM_DATA_DIR)'],
      exitCode: 1,
    };
  return describeVerification(await verifyAuditChain(db));
}

export function describeVerification(result: AuditChainVerification): CommandOutcome {
  if (result.ok)
    return {
      stdout: [`audit chain ok: ${result.entries} entries, last sequence ${result.lastSequence}, head hash ${result.lastHash}`],
      stderr: [],
      exitCode: 0,
      json: result,
    };
  return {
    stdout: [],
    stderr: [
      `audit chain BROKEN at sequence ${result.sequence} (${result.reason}): ${result.detail}`,
      `${result.entries} entries verified before the break`,
    ],
    exitCode: 1,
    json: result,
  };
}

/**
 * Parses `--scopes payments:read,payments:write`: at least one, each one of `allScopes`,
 * duplicates dropped. Returns the scopes or why they were refused.
 */
export function parseScopes(text: string | undefined): { ok: true; scopes: Scope[] } | { ok: false; error: string } {
  const names = (text ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) return { ok: false, error: `--scopes is required: one or more of ${allScopes.join(', ')}, comma-separated` };
  const unknown = names.filter((name) => !(allScopes as readonly string[]).includes(name));
  if (unknown.length > 0) return { ok: false, error: `unknown scope ${unknown.join(', ')}; scopes: ${allScopes.join(', ')}` };
  return { ok: true, scopes: [...new Set(names as Scope[])] };
}

const durationUnitMs = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/**
 * Parses `--expires`: a duration from now (`12h`, `90d`, `8w`) or an ISO 8601 date (`2027-03-01`,
 * midnight UTC) or date-time with its offset (`2027-03-01T09:00:00+01:00`). It must lie in the
 * future. Returns the instant in epoch milliseconds, or why it was refused.
 */
export function parseExpiry(text: string, nowMs: number): { ok: true; expiresAtMs: number } | { ok: false; error: string } {
  const refused = {
    ok: false as const,
    error: `--expires must be a duration like 90d, 12h or 8w, or an ISO date like 2027-03-01 (got "${text}")`,
  };
  const duration = /^([1-9]\d{0,4})([hdw])$/.exec(text.trim());
  if (duration) return { ok: true, expiresAtMs: nowMs + Number(duration[1]) * durationUnitMs[duration[2] as keyof typeof durationUnitMs] };
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text.trim())) return refused;
  const expiresAtMs = Date.parse(text.trim());
  if (Number.isNaN(expiresAtMs)) return refused;
  if (expiresAtMs <= nowMs) return { ok: false, error: `--expires ${text} is in the past` };
  return { ok: true, expiresAtMs };
}

/** A key to create, as `parseKeyOptions` checked it. */
export interface KeyRequest {
  label: string;
  scopes: Scope[];
  /** Unset: it never expires. */
  expiresAtMs?: number;
}

/**
 * Checks `--label`, `--scopes` and `--expires` before anything is opened, so a typo costs no
 * database start. Returns the request, or the outcome to print (exit code 2, a usage error).
 */
export function parseKeyOptions(
  options: { label?: string | undefined; scopes?: string | undefined; expires?: string | undefined },
  nowMs: number = Date.now(),
): { ok: true; request: KeyRequest } | { ok: false; outcome: CommandOutcome } {
  const refuse = (message: string) => ({ ok: false as const, outcome: { stdout: [], stderr: [message], exitCode: 2 as const } });
  const label = options.label?.trim() ?? '';
  if (label === '' || label.length > maxKeyLabelLength)
    return refuse(`--label is required: 1 to ${maxKeyLabelLength} characters naming who or what uses the key`);
  const scopes = parseScopes(options.scopes);
  if (!scopes.ok) return refuse(scopes.error);
  if (options.expires === undefined) return { ok: true, request: { label, scopes: scopes.scopes } };
  const expiry = parseExpiry(options.expires, nowMs);
  if (!expiry.ok) return refuse(expiry.error);
  return { ok: true, request: { label, scopes: scopes.scopes, expiresAtMs: expiry.expiresAtMs } };
}

/**
 * `paystream keys create --label L --scopes S,... [--expires 90d]` on the database: creates an API
 * key and prints it this once (only its hash is stored). Creates the gateway's tables first if
 * this database has none yet, as a first `paystream start` would.
 */
export async function keysCreateCommand(db: Database, clock: Clock, request: KeyRequest): Promise<CommandOutcome> {
  await migrate(db, 'gateway', gatewayMigrations);
  const created = await new ApiKeys(db, clock).create(request.label, request.scopes, { expiresAtMs: request.expiresAtMs });
  return describeCreatedKey(created.key, created.view);
}

/** What `keys create` prints, whether the key was made on the database or through the API. */
export function describeCreatedKey(key: string, view: ApiKeyView): CommandOutcome {
  const expiry = view.expiresAt === null ? 'never expires' : `expires ${view.expiresAt}`;
  return {
    stdout: [
      `API key ${view.keyId} created for "${view.label}" with scopes ${view.scopes.join(', ')}; it ${expiry}. It is shown this once; keep it:`,
      `  ${key}`,
    ],
    stderr: [],
    exitCode: 0,
    json: { key, ...view },
  };
}

/** `paystream keys list` on the database. */
export async function keysListCommand(db: Database, clock: Clock): Promise<CommandOutcome> {
  await migrate(db, 'gateway', gatewayMigrations);
  return describeKeys(await new ApiKeys(db, clock).list(), clock.nowMs());
}

/** One line per key: id, state, scopes, dates, label (last: it is free text). Never a secret. */
export function describeKeys(keys: readonly ApiKeyView[], nowMs: number): CommandOutcome {
  const lines = keys.map((key) =>
    [
      key.keyId,
      stateOf(key, nowMs).padEnd(7),
      `created ${key.createdAt}`,
      `expires ${key.expiresAt ?? 'never'}`,
      `last used ${key.lastUsedAt ?? 'never'}`,
      key.scopes.join(','),
      JSON.stringify(key.label),
    ].join('  '),
  );
  return { stdout: [...lines, `${keys.length} keys`], stderr: [], exitCode: 0, json: { keys } };
}

/** `paystream keys revoke <keyId>` on the database: recorded as revoked by `cli`. */
export async function keysRevokeCommand(db: Database, clock: Clock, keyId: string): Promise<CommandOutcome> {
  await migrate(db, 'gateway', gatewayMigrations);
  const revoked = await new ApiKeys(db, clock).revoke(keyId, localOperatorKeyId);
  if (!revoked) return { stdout: [], stderr: [`there is no API key ${keyId}`], exitCode: 1 };
  return describeRevokedKey(revoked);
}

export function describeRevokedKey(key: ApiKeyView): CommandOutcome {
  return {
    stdout: [`API key ${key.keyId} ("${key.label}") revoked at ${key.revokedAt} by ${key.revokedBy}`],
    stderr: [],
    exitCode: 0,
    json: key,
  };
}

function stateOf(key: ApiKeyView, nowMs: number): string {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= nowMs) return 'expired';
  return 'active';
}
