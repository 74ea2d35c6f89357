import type { ScenarioLine } from './authorization-scenario.ts';

/**
 * An independent model of the authorization rules of issue 20, written as plainly as possible to
 * check the processor against: it keeps the whole history (every update, every decision, no
 * pruning, no timers), walks the instants of the scenario (every arrival and every request's
 * deadline) in order, and at each one handles that instant's lines in order and then every
 * account whose head can be decided. It shares no code with src/services/authorization.
 */
export interface ModelOptions {
  graceMs: number;
  standInLimitMinor: bigint;
  holdTtlMs: number;
  overrideWindowMs: number;
  duplicateWindowMs: number;
}

export interface ModelDecision {
  authorizationId: string;
  accountId: string;
  decision: 'APPROVED' | 'DECLINED';
  basis: 'STATE' | 'STAND_IN' | 'OVERRIDE';
  reason: string | null;
  stateVersion: number | null;
  decisionVersion: 1 | 2;
  decidedAt: number;
}

interface Update {
  version: number;
  asOf: number;
  status: string;
  ownerUserId: string;
  authorizedUsers: string[];
  currency: string;
  availableMinor: bigint;
  confirmedAuthorizationIds: string[];
}
interface Request {
  authorizationId: string;
  accountId: string;
  userId: string;
  amountMinor: bigint;
  currency: string;
  requestedAt: number;
  arrivedAt: number;
  partition: number;
}
interface Past {
  id: string;
  amountMinor: bigint;
  decidedAt: number;
  reason: string | null;
  holdFrom: number | null;
  overridden: boolean;
}
interface Account {
  updates: Update[];
  queue: Request[];
  history: Past[];
  partition: number;
}

export function modelDecisions(lines: readonly ScenarioLine[], options: ModelOptions): { decisions: ModelDecision[]; refused: string[] } {
  const decisions: ModelDecision[] = [];
  const refused: string[] = [];
  const watermarks = new Map<number, number>();
  const accounts = new Map<string, Account>();
  const accountOf = (id: string, partition: number) => {
    if (!accounts.has(id)) accounts.set(id, { updates: [], queue: [], history: [], partition });
    return accounts.get(id)!;
  };
  const instants = new Set<number>();
  for (const line of lines) {
    instants.add(line.at);
    if (line.kind === 'request') instants.add(line.at + options.graceMs);
  }

  // Standing in happens only at the end of an instant, after all its lines (the rule of one instant).
  const decideHeads = (accountId: string, now: number, endOfInstant = false) => {
    const account = accounts.get(accountId)!;
    while (account.queue.length > 0) {
      const head = account.queue[0]!;
      const complete = (watermarks.get(head.partition) ?? -Infinity) >= head.requestedAt;
      if (!complete && !(endOfInstant && now >= head.arrivedAt + options.graceMs)) return;
      account.queue.shift();
      let used: Update | undefined;
      for (const update of account.updates)
        if (
          update.asOf <= head.requestedAt &&
          (!used || update.asOf > used.asOf || (update.asOf === used.asOf && update.version > used.version))
        )
          used = update;
      let reason: string | null = null;
      if (!used) reason = complete ? 'UNKNOWN_ACCOUNT' : 'NO_STATE';
      else {
        let available = used.availableMinor;
        for (const past of account.history)
          if (past.holdFrom !== null && now < past.holdFrom + options.holdTtlMs && !used.confirmedAuthorizationIds.includes(past.id))
            available -= past.amountMinor;
        if (used.status !== 'ACTIVE') reason = 'ACCOUNT_NOT_ACTIVE';
        else if (head.userId !== used.ownerUserId && !used.authorizedUsers.includes(head.userId)) reason = 'UNKNOWN_USER';
        else if (head.currency !== used.currency) reason = 'CURRENCY_MISMATCH';
        else if (head.amountMinor > available) reason = 'INSUFFICIENT_FUNDS';
        else if (!complete && head.amountMinor > options.standInLimitMinor) reason = 'STAND_IN_LIMIT';
      }
      decisions.push({
        authorizationId: head.authorizationId,
        accountId,
        decision: reason === null ? 'APPROVED' : 'DECLINED',
        basis: complete ? 'STATE' : 'STAND_IN',
        reason,
        stateVersion: used?.version ?? null,
        decisionVersion: 1,
        decidedAt: now,
      });
      account.history.push({
        id: head.authorizationId,
        amountMinor: head.amountMinor,
        decidedAt: now,
        reason,
        holdFrom: reason === null ? now : null,
        overridden: false,
      });
    }
  };

  for (const now of [...instants].sort((a, b) => a - b)) {
    for (const line of lines.filter((item) => item.at === now)) {
      const value = line.value as Record<string, unknown>;
      const partition = (line.partition as number | undefined) ?? 0;
      if (line.kind === 'watermark') {
        watermarks.set(partition, Math.max(watermarks.get(partition) ?? -Infinity, value.watermark as number));
        for (const [id, account] of accounts) if (account.partition === partition) decideHeads(id, now);
      } else if (line.kind === 'state') {
        const account = accountOf(value.accountId as string, partition);
        const version = value.version as number;
        if (account.updates.some((update) => update.version >= version)) continue;
        account.updates.push({
          version,
          asOf: value.asOf as number,
          status: value.status as string,
          ownerUserId: value.ownerUserId as string,
          authorizedUsers: value.authorizedUsers as string[],
          currency: value.currency as string,
          availableMinor: BigInt(value.availableMinor as string),
          confirmedAuthorizationIds: value.confirmedAuthorizationIds as string[],
        });
      } else if (line.kind === 'request') {
        const accountId = value.accountId as string;
        const account = accountOf(accountId, partition);
        const id = value.authorizationId as string;
        if (account.queue.some((queued) => queued.authorizationId === id)) continue;
        if (account.history.some((past) => past.id === id && now < past.decidedAt + options.duplicateWindowMs)) continue;
        account.queue.push({
          authorizationId: id,
          accountId,
          userId: value.userId as string,
          amountMinor: BigInt(value.amountMinor as string),
          currency: value.currency as string,
          requestedAt: value.requestedAt as number,
          arrivedAt: now,
          partition,
        });
        decideHeads(accountId, now);
      } else if (line.kind === 'override') {
        const accountId = value.accountId as string;
        const account = accountOf(accountId, partition);
        const past = account.history.findLast((item) => item.id === value.authorizationId);
        const newest = [...account.updates].sort((a, b) => b.version - a.version)[0];
        const ok =
          past !== undefined &&
          !past.overridden &&
          ['INSUFFICIENT_FUNDS', 'STAND_IN_LIMIT', 'UNKNOWN_USER'].includes(past.reason ?? '') &&
          now <= past.decidedAt + options.overrideWindowMs &&
          newest?.status === 'ACTIVE';
        if (!ok) {
          refused.push(`${value.authorizationId as string}@${now}`);
          continue;
        }
        past.overridden = true;
        past.holdFrom = now;
        decisions.push({
          authorizationId: past.id,
          accountId,
          decision: 'APPROVED',
          basis: 'OVERRIDE',
          reason: null,
          stateVersion: newest.version,
          decisionVersion: 2,
          decidedAt: now,
        });
      }
    }
    for (const id of accounts.keys()) decideHeads(id, now, true);
  }
  return { decisions, refused };
}
