import type { FiredTimer, KeyValueStore, Processor, ProcessorContext, StreamRecord } from '../../../backbone/stream/index.ts';
import type { AuthorizationOptions } from '../options.ts';
import { availableMinor, checkOnState, checkStandIn, stateAsOf, type Hold } from './checks.ts';
import {
  overridableReasons,
  type AccountStateUpdate,
  type AccountStatus,
  type AuthorizationDecision,
  type AuthorizationInput,
  type AuthorizationOutput,
  type AuthorizationRequest,
  type DeclineReason,
  type OverrideRequest,
  type OverrideRefusal,
} from './types.ts';

/**
 * What the processor keeps per account: only what a decision can still need (docs/authorization.md,
 * "State that stays bounded").
 */
export interface AccountRecord {
  /** Accepted state updates, by (asOfMs, version); pruned below the lateness bound but for the newest one under it. */
  updates: AccountStateUpdate[];
  /** The highest version received, kept after its update is pruned: a lower or equal one is ignored (rule 3). */
  highestVersion: number;
  /** The status of that highest version: overrides are refused unless it is ACTIVE (rule 7). */
  newestStatus: AccountStatus | null;
  /** Requests not decided yet, in arrival order; the first is the head (rule 1). */
  pending: PendingRequest[];
  /** Decisions still needed: for duplicates, overrides and holds. */
  decided: DecidedEntry[];
}

export interface PendingRequest {
  readonly request: AuthorizationRequest;
  readonly arrivalMs: number;
}

export interface DecidedEntry {
  readonly authorizationId: string;
  readonly amountMinor: bigint;
  readonly decidedAtMs: number;
  readonly reason: DeclineReason | null;
  /** When the hold began (its approval or its override), or null while there is none. */
  holdSinceMs: number | null;
  /** The hold ended on confirmation: every state a later request can use lists it as confirmed. */
  holdConfirmed: boolean;
  overridden: boolean;
}

/** Per partition: the newest request event time seen, from which the lateness bound is counted. */
export interface PartitionRecord {
  newestRequestEventMs: number;
}

export interface AuthorizationStores {
  readonly accounts: KeyValueStore<AccountRecord>;
  readonly partition: KeyValueStore<PartitionRecord>;
}

/**
 * What the processor counts, for metrics: it calls these while it decides, so nothing parses its
 * outputs. They must not throw, and must not write: the processor runs again on a batch re-run.
 */
export interface AuthorizationHooks {
  /** A decision made; `waitMs` is from the request's arrival to its decision (absent for an override). */
  decided?(decision: AuthorizationDecision, waitMs: number | undefined): void;
}

const timers = { complete: 'head-complete', deadline: 'head-deadline', closed: 'closed-retention' } as const;
const partitionKey = 'partition';

/**
 * The authorization processor (issue 20, rules 1-8), keyed by account id, on the backbone's stream
 * core: the same code runs on the replay's simulated clock and, later, live in a consumer's
 * transaction with the database store.
 */
export function authorizationProcessor(
  options: AuthorizationOptions,
  stores: AuthorizationStores,
  hooks: AuthorizationHooks = {},
): Processor<AuthorizationInput, AuthorizationOutput> {
  return {
    process(record: StreamRecord<AuthorizationInput>, context: ProcessorContext<AuthorizationOutput>): void {
      const account = stores.accounts.get(record.key) ?? emptyAccount();
      const input = record.value;
      if (input.kind === 'request') {
        const partition = stores.partition.get(partitionKey) ?? { newestRequestEventMs: Number.NEGATIVE_INFINITY };
        partition.newestRequestEventMs = Math.max(partition.newestRequestEventMs, input.request.requestedAtMs);
        stores.partition.put(partitionKey, partition);
        if (isDuplicate(account, input.request.authorizationId, context.nowMs(), options)) return;
        account.pending.push({ request: input.request, arrivalMs: record.arrivalMs });
        if (account.pending.length === 1) decideHeads(record.key, account, context, options, false, hooks);
      } else if (input.kind === 'state') {
        if (!accept(account, input.update)) return;
        if (input.update.status === 'CLOSED')
          context.scheduleProcessingTime(record.key, timers.closed, context.nowMs() + options.closedAccountRetentionMs);
      } else {
        override(account, input.override, context, options, hooks);
      }
      save(record.key, account, stores, context.nowMs(), options);
    },

    onTimer(timer: FiredTimer, context: ProcessorContext<AuthorizationOutput>): void {
      const account = stores.accounts.get(timer.key);
      if (!account) return;
      if (timer.name === timers.closed) {
        // Dropped only if still closed and nothing waits; a reopened account keeps its state.
        if (account.newestStatus === 'CLOSED' && account.pending.length === 0) stores.accounts.delete(timer.key);
        return;
      }
      // An event-time timer fires while the instant's records are processed; a deadline, after them.
      decideHeads(timer.key, account, context, options, timer.domain === 'processing-time', hooks);
      save(timer.key, account, stores, context.nowMs(), options);
    },
  };
}

/** The account's state as the processor keeps it (for metrics and tests). */
export function emptyAccount(): AccountRecord {
  return { updates: [], highestVersion: Number.NEGATIVE_INFINITY, newestStatus: null, pending: [], decided: [] };
}

/**
 * Rules 1 and 2: decide the head while it can be decided (complete: the watermark reached its
 * event time; else timed out: its grace ran out), then the next; when the head must wait, arm its
 * two timers. A head stands in only from its deadline timer, which fires after every record of its
 * instant (`atDeadline`): a head whose deadline has passed while it waited behind another is
 * decided at the end of the instant it reaches the head, so a watermark arriving in that instant
 * still completes it.
 */
function decideHeads(
  key: string,
  account: AccountRecord,
  context: ProcessorContext<AuthorizationOutput>,
  options: AuthorizationOptions,
  atDeadline: boolean,
  hooks: AuthorizationHooks,
) {
  for (let head = account.pending[0]; head; head = account.pending[0]) {
    const complete = context.watermarkMs() >= head.request.requestedAtMs;
    const deadlineMs = head.arrivalMs + options.graceMs;
    if (!complete && !(atDeadline && context.nowMs() >= deadlineMs)) {
      context.scheduleEventTime(key, timers.complete, head.request.requestedAtMs);
      // A deadline already past fires at the end of this instant.
      context.scheduleProcessingTime(key, timers.deadline, deadlineMs);
      return;
    }
    account.pending.shift();
    decide(account, head, complete, context, options, hooks);
  }
  context.cancel(key, timers.complete);
  context.cancel(key, timers.deadline);
}

/** Rules 3-6: the as-of state, the checks, the hold. */
function decide(
  account: AccountRecord,
  { request, arrivalMs }: PendingRequest,
  complete: boolean,
  context: ProcessorContext<AuthorizationOutput>,
  options: AuthorizationOptions,
  hooks: AuthorizationHooks,
): void {
  const nowMs = context.nowMs();
  const state = stateAsOf(account.updates, request.requestedAtMs);
  const available = state ? availableMinor(state, holdsOf(account), nowMs, options.holdTtlMs) : 0n;
  const outcome = complete ? checkOnState(state, request, available) : checkStandIn(state, request, available, options.standInLimitMinor);
  const reason = outcome.approved ? null : outcome.reason;
  const decision: AuthorizationDecision = {
    authorizationId: request.authorizationId,
    accountId: request.accountId,
    decision: outcome.approved ? 'APPROVED' : 'DECLINED',
    basis: complete ? 'STATE' : 'STAND_IN',
    reason,
    stateVersion: state?.version ?? null,
    decisionVersion: 1,
    decidedAtMs: nowMs,
  };
  context.emit({ kind: 'decision', decision });
  hooks.decided?.(decision, nowMs - arrivalMs);
  account.decided.push({
    authorizationId: request.authorizationId,
    amountMinor: request.amountMinor,
    decidedAtMs: nowMs,
    reason,
    holdSinceMs: outcome.approved ? nowMs : null,
    holdConfirmed: false,
    overridden: false,
  });
}

/** Rule 7: approve a decline within the window, unless the newest state is not ACTIVE. */
function override(
  account: AccountRecord,
  request: OverrideRequest,
  context: ProcessorContext<AuthorizationOutput>,
  options: AuthorizationOptions,
  hooks: AuthorizationHooks,
): void {
  const nowMs = context.nowMs();
  // The latest decision of that id: past the duplicate window, a request with the same id is decided anew.
  const entry = account.decided.findLast((decided) => decided.authorizationId === request.authorizationId);
  const refusal = overrideRefusal(entry, account, nowMs, options);
  if (refusal || !entry) {
    context.emit({ kind: 'override-refused', override: request, refusal: refusal ?? 'UNKNOWN_DECISION', atMs: nowMs });
    return;
  }
  entry.overridden = true;
  entry.holdSinceMs = nowMs;
  const decision: AuthorizationDecision = {
    authorizationId: request.authorizationId,
    accountId: request.accountId,
    decision: 'APPROVED',
    basis: 'OVERRIDE',
    reason: null,
    stateVersion: account.highestVersion,
    decisionVersion: 2,
    decidedAtMs: nowMs,
    override: { by: request.by, why: request.why, ...(request.overrideId === undefined ? {} : { overrideId: request.overrideId }) },
  };
  context.emit({ kind: 'decision', decision });
  hooks.decided?.(decision, undefined);
}

function overrideRefusal(
  entry: DecidedEntry | undefined,
  account: AccountRecord,
  nowMs: number,
  options: AuthorizationOptions,
): OverrideRefusal | undefined {
  if (!entry) return 'UNKNOWN_DECISION';
  if (entry.overridden) return 'ALREADY_OVERRIDDEN';
  if (entry.reason === null || !overridableReasons.has(entry.reason)) return 'NOT_OVERRIDABLE';
  if (nowMs > entry.decidedAtMs + options.overrideWindowMs) return 'WINDOW_CLOSED';
  if (account.newestStatus !== 'ACTIVE') return 'ACCOUNT_NOT_ACTIVE';
  return undefined;
}

/** Rule 6: an id pending, or decided within the duplicate window, is a duplicate. */
function isDuplicate(account: AccountRecord, authorizationId: string, nowMs: number, options: AuthorizationOptions): boolean {
  return (
    account.pending.some((pending) => pending.request.authorizationId === authorizationId) ||
    account.decided.some(
      (decided) => decided.authorizationId === authorizationId && nowMs < decided.decidedAtMs + options.duplicateWindowMs,
    )
  );
}

/** Rule 3: an update is accepted only above every version received; kept in (asOf, version) order. */
function accept(account: AccountRecord, update: AccountStateUpdate): boolean {
  if (update.version <= account.highestVersion) return false;
  account.highestVersion = update.version;
  account.newestStatus = update.status;
  const at = account.updates.findIndex((kept) => kept.asOfMs > update.asOfMs);
  account.updates.splice(at === -1 ? account.updates.length : at, 0, update);
  return true;
}

function holdsOf(account: AccountRecord): Hold[] {
  return account.decided
    .filter((entry) => entry.holdSinceMs !== null && !entry.holdConfirmed)
    .map((entry) => ({ authorizationId: entry.authorizationId, amountMinor: entry.amountMinor, decidedAtMs: entry.holdSinceMs! }));
}

/**
 * Prunes what no decision can need any more, then stores the account (or deletes it when empty).
 *
 * A later request has an event time ≥ the lateness bound (the newest request event time less
 * `requestLatenessMs`) or is already pending: updates older than the newest one at or below the
 * lower of those are never chosen by the as-of join. A hold listed as confirmed by every update
 * still kept is listed by every later one too (the feed's lists are cumulative), so no later
 * decision subtracts it. A decision is forgotten once past the duplicate window, its override
 * window (if it could be overridden) and its hold's TTL.
 */
function save(key: string, account: AccountRecord, stores: AuthorizationStores, nowMs: number, options: AuthorizationOptions): void {
  const newestRequestEventMs = stores.partition.get(partitionKey)?.newestRequestEventMs ?? Number.NEGATIVE_INFINITY;
  const boundMs = Math.min(
    newestRequestEventMs - options.requestLatenessMs,
    ...account.pending.map((pending) => pending.request.requestedAtMs),
  );
  let base = -1;
  account.updates.forEach((update, index) => {
    if (update.asOfMs <= boundMs) base = index;
  });
  if (base > 0) account.updates.splice(0, base);
  for (const entry of account.decided) {
    if (entry.holdSinceMs === null || entry.holdConfirmed || account.updates.length === 0) continue;
    entry.holdConfirmed = account.updates.every((update) => update.confirmedAuthorizationIds.includes(entry.authorizationId));
  }
  account.decided = account.decided.filter((entry) => nowMs < entry.decidedAtMs + keptForMs(entry, options));
  if (account.updates.length === 0 && account.pending.length === 0 && account.decided.length === 0 && account.newestStatus === null)
    stores.accounts.delete(key);
  else stores.accounts.put(key, account);
}

function keptForMs(entry: DecidedEntry, options: AuthorizationOptions): number {
  const overridable = !entry.overridden && entry.reason !== null && overridableReasons.has(entry.reason);
  const holding = entry.holdSinceMs !== null && !entry.holdConfirmed;
  return Math.max(
    options.duplicateWindowMs,
    overridable ? options.overrideWindowMs + 1 : 0,
    holding ? entry.holdSinceMs! - entry.decidedAtMs + options.holdTtlMs : 0,
  );
}
