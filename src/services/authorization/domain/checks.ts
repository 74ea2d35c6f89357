import type { AccountStateUpdate, AuthorizationRequest, DeclineReason } from './types.ts';

/** A hold of an approved authorization: until its TTL, unless the state used lists it as confirmed. */
export interface Hold {
  readonly authorizationId: string;
  readonly amountMinor: bigint;
  readonly decidedAtMs: number;
}

/**
 * Rule 3, the as-of join: of the updates received, the one with the largest `asOfMs ≤ eventTimeMs`,
 * ties to the higher version.
 */
export function stateAsOf(updates: readonly AccountStateUpdate[], eventTimeMs: number): AccountStateUpdate | undefined {
  let chosen: AccountStateUpdate | undefined;
  for (const update of updates) {
    if (update.asOfMs > eventTimeMs) continue;
    if (!chosen || update.asOfMs > chosen.asOfMs || (update.asOfMs === chosen.asOfMs && update.version > chosen.version)) chosen = update;
  }
  return chosen;
}

/** Rule 6: the state's available amount less the holds alive at `nowMs` that it does not list as confirmed. */
export function availableMinor(state: AccountStateUpdate, holds: readonly Hold[], nowMs: number, holdTtlMs: number): bigint {
  const confirmed = new Set(state.confirmedAuthorizationIds);
  let available = state.availableMinor;
  for (const hold of holds) if (nowMs < hold.decidedAtMs + holdTtlMs && !confirmed.has(hold.authorizationId)) available -= hold.amountMinor;
  return available;
}

/** The outcome of the checks: approve (with a hold of the amount) or decline with a reason. */
export type CheckOutcome = { readonly approved: true } | { readonly approved: false; readonly reason: DeclineReason };

/** Rule 4: the checks on state, in order. */
export function checkOnState(
  state: AccountStateUpdate | undefined,
  request: AuthorizationRequest,
  availableMinorNow: bigint,
): CheckOutcome {
  if (!state) return decline('UNKNOWN_ACCOUNT');
  if (state.status !== 'ACTIVE') return decline('ACCOUNT_NOT_ACTIVE');
  if (request.userId !== state.ownerUserId && !state.authorizedUsers.includes(request.userId)) return decline('UNKNOWN_USER');
  if (request.currency !== state.currency) return decline('CURRENCY_MISMATCH');
  if (request.amountMinor > availableMinorNow) return decline('INSUFFICIENT_FUNDS');
  return { approved: true };
}

/** Rule 5: a stand-in decision on the state it has, once the grace ran out. */
export function checkStandIn(
  state: AccountStateUpdate | undefined,
  request: AuthorizationRequest,
  availableMinorNow: bigint,
  standInLimitMinor: bigint,
): CheckOutcome {
  if (!state) return decline('NO_STATE');
  const onState = checkOnState(state, request, availableMinorNow);
  if (!onState.approved) return onState;
  if (request.amountMinor > standInLimitMinor) return decline('STAND_IN_LIMIT');
  return onState;
}

function decline(reason: DeclineReason): CheckOutcome {
  return { approved: false, reason };
}
