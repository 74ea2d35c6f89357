import { InMemoryKeyValueStore, runSimulated, type TimedInput } from '../../../backbone/stream/index.ts';
import type { AuthorizationOptions } from '../options.ts';
import { authorizationProcessor, type AccountRecord, type PartitionRecord } from './authorization-processor.ts';
import {
  type AccountStateUpdate,
  type AccountStatus,
  type AuthorizationDecision,
  type AuthorizationInput,
  type AuthorizationOutput,
  type AuthorizationRequest,
  type OverrideRequest,
} from './types.ts';

/**
 * The deterministic replay (`paystream authz replay`): the processor on a simulated clock over a
 * scenario of JSON lines `{"at", "kind", "partition"?, "value"}`, in arrival order. Pure: text in,
 * decisions out, in the order made; the same scenario always gives the same lines.
 */
export interface ReplayResult {
  /** One JSON line per decision, in the order made, `decidedAt` in simulated ms. */
  readonly decisionLines: string[];
  readonly decisions: AuthorizationDecision[];
  /** Overrides refused (the override route's 409), one line each: for stderr. */
  readonly refusalLines: string[];
  /** How many accounts each partition's store holds at the end (the bounded-state check). */
  readonly accountsKept: number;
}

/** A scenario line that cannot be read: its 1-based line number and what is wrong. */
export class ScenarioLineError extends Error {
  readonly lineNumber: number;
  constructor(lineNumber: number, message: string) {
    super(`line ${lineNumber}: ${message}`);
    this.name = 'ScenarioLineError';
    this.lineNumber = lineNumber;
  }
}

export function replayScenario(scenario: string, options: AuthorizationOptions): ReplayResult {
  const inputs = parseScenario(scenario);
  const decisions: AuthorizationDecision[] = [];
  const refusalLines: string[] = [];
  const stores: InMemoryKeyValueStore<AccountRecord>[] = [];
  runSimulated<AuthorizationInput, AuthorizationOutput>(
    inputs,
    () => {
      const accounts = new InMemoryKeyValueStore<AccountRecord>();
      stores.push(accounts);
      return authorizationProcessor(options, { accounts, partition: new InMemoryKeyValueStore<PartitionRecord>() });
    },
    (output) => {
      if (output.kind === 'decision') decisions.push(output.decision);
      else
        refusalLines.push(
          `override of ${output.override.authorizationId} by ${output.override.by} at ${output.atMs} refused: ${output.refusal}`,
        );
    },
  );
  return {
    decisionLines: decisions.map(decisionLine),
    decisions,
    refusalLines,
    accountsKept: stores.reduce((sum, store) => sum + store.size(), 0),
  };
}

/** A decision as the replay prints it: the fields of `authorizations.decided.v1`, in that order. */
export function decisionLine(decision: AuthorizationDecision): string {
  return JSON.stringify({
    authorizationId: decision.authorizationId,
    accountId: decision.accountId,
    decision: decision.decision,
    basis: decision.basis,
    reason: decision.reason,
    stateVersion: decision.stateVersion,
    decisionVersion: decision.decisionVersion,
    decidedAt: decision.decidedAtMs,
    ...(decision.override && { overriddenBy: decision.override.by, overrideReason: decision.override.why }),
  });
}

/** The scenario's lines as the driver's inputs; throws a ScenarioLineError at the first bad line. */
export function parseScenario(scenario: string): TimedInput<AuthorizationInput>[] {
  const inputs: TimedInput<AuthorizationInput>[] = [];
  let previousAtMs = 0;
  scenario.split('\n').forEach((text, index) => {
    const lineNumber = index + 1;
    if (text.trim() === '') return;
    const field = fieldReader(lineNumber);
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      throw new ScenarioLineError(lineNumber, 'not a JSON object');
    }
    const record = field.object(line, 'the line');
    const atMs = field.ms(record.at, 'at');
    if (atMs < previousAtMs)
      throw new ScenarioLineError(lineNumber, `at ${atMs} is before the previous line's ${previousAtMs} (lines go in arrival order)`);
    previousAtMs = atMs;
    const partition = record.partition === undefined ? 0 : field.ms(record.partition, 'partition');
    const value = field.object(record.value, 'value');
    switch (record.kind) {
      case 'watermark':
        inputs.push({ atMs, partition, input: { kind: 'watermark', watermarkMs: field.ms(value.watermark, 'value.watermark') } });
        return;
      case 'request': {
        const request = parseRequest(value, field);
        inputs.push({ atMs, partition, input: { kind: 'record', key: request.accountId, value: { kind: 'request', request } } });
        return;
      }
      case 'state': {
        const update = parseState(value, field);
        inputs.push({ atMs, partition, input: { kind: 'record', key: update.accountId, value: { kind: 'state', update } } });
        return;
      }
      case 'override': {
        const override: OverrideRequest = {
          authorizationId: field.text(value.authorizationId, 'value.authorizationId'),
          accountId: field.text(value.accountId, 'value.accountId'),
          by: field.text(value.by, 'value.by'),
          why: field.text(value.why, 'value.why'),
        };
        inputs.push({ atMs, partition, input: { kind: 'record', key: override.accountId, value: { kind: 'override', override } } });
        return;
      }
      default:
        throw new ScenarioLineError(lineNumber, `kind must be request, state, watermark or override, not ${JSON.stringify(record.kind)}`);
    }
  });
  return inputs;
}

type FieldReader = ReturnType<typeof fieldReader>;

function parseRequest(value: Record<string, unknown>, field: FieldReader): AuthorizationRequest {
  // Fields are read in the order of the record, so the first bad one is the one named.
  const authorizationId = field.text(value.authorizationId, 'value.authorizationId');
  const accountId = field.text(value.accountId, 'value.accountId');
  const userId = field.text(value.userId, 'value.userId');
  const amountMinor = field.minor(value.amountMinor, 'value.amountMinor');
  const currency = field.currency(value.currency, 'value.currency');
  const merchant = field.object(value.merchant, 'value.merchant');
  return {
    authorizationId,
    accountId,
    userId,
    amountMinor,
    currency,
    merchant: {
      id: field.text(merchant.id, 'value.merchant.id'),
      categoryCode: field.text(merchant.categoryCode, 'value.merchant.categoryCode'),
      country: field.text(merchant.country, 'value.merchant.country'),
    },
    requestedAtMs: field.ms(value.requestedAt, 'value.requestedAt'),
  };
}

function parseState(value: Record<string, unknown>, field: FieldReader): AccountStateUpdate {
  const statuses: readonly AccountStatus[] = ['ACTIVE', 'BLOCKED', 'CLOSED'];
  if (!statuses.includes(value.status as AccountStatus)) field.fail(`value.status must be ACTIVE, BLOCKED or CLOSED`);
  return {
    accountId: field.text(value.accountId, 'value.accountId'),
    version: field.ms(value.version, 'value.version'),
    asOfMs: field.ms(value.asOf, 'value.asOf'),
    status: value.status as AccountStatus,
    ownerUserId: field.text(value.ownerUserId, 'value.ownerUserId'),
    authorizedUsers: field.texts(value.authorizedUsers ?? [], 'value.authorizedUsers'),
    currency: field.currency(value.currency, 'value.currency'),
    availableMinor: field.minor(value.availableMinor, 'value.availableMinor', true),
    confirmedAuthorizationIds: field.texts(value.confirmedAuthorizationIds ?? [], 'value.confirmedAuthorizationIds'),
  };
}

function fieldReader(lineNumber: number) {
  const fail = (message: string): never => {
    throw new ScenarioLineError(lineNumber, message);
  };
  return {
    fail,
    object: (value: unknown, name: string): Record<string, unknown> =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : fail(`${name} must be an object`),
    text: (value: unknown, name: string): string =>
      typeof value === 'string' && value !== '' ? value : fail(`${name} must be a non-empty string`),
    texts: (value: unknown, name: string): string[] =>
      Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? (value as string[])
        : fail(`${name} must be an array of strings`),
    ms: (value: unknown, name: string): number =>
      Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : fail(`${name} must be a whole number ≥ 0`),
    currency: (value: unknown, name: string): string =>
      typeof value === 'string' && /^[A-Z]{3}$/.test(value) ? value : fail(`${name} must be an ISO 4217 code like EUR`),
    /** Minor units as a decimal string ("1250") or a safe JSON integer; never a fraction. */
    minor: (value: unknown, name: string, signed = false): bigint => {
      const pattern = signed ? /^-?\d{1,30}$/ : /^\d{1,30}$/;
      if (typeof value === 'string' && pattern.test(value)) return BigInt(value);
      if (Number.isSafeInteger(value) && (signed || (value as number) >= 0)) return BigInt(value as number);
      return fail(`${name} must be whole minor units${signed ? '' : ' ≥ 0'}, as a decimal string like "1250"`);
    },
  };
}
