/** The authorization's records (issue 20): money in minor units (bigint), times in ms. */

export type AccountStatus = 'ACTIVE' | 'BLOCKED' | 'CLOSED';

/** `authorizations.requested.v1`: `requestedAtMs` is the request's event time. */
export interface AuthorizationRequest {
  readonly authorizationId: string;
  readonly accountId: string;
  readonly userId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly merchant: { readonly id: string; readonly categoryCode: string; readonly country: string };
  readonly requestedAtMs: number;
}

/** An `accounts.state.v1` state update from the core: `asOfMs` is its event time. */
export interface AccountStateUpdate {
  readonly accountId: string;
  readonly version: number;
  readonly asOfMs: number;
  readonly status: AccountStatus;
  readonly ownerUserId: string;
  readonly authorizedUsers: readonly string[];
  readonly currency: string;
  readonly availableMinor: bigint;
  /** Every authorization the core has applied to `availableMinor` (cumulative). */
  readonly confirmedAuthorizationIds: readonly string[];
}

/** An owner's or ops officer's approval of a decline (live, sent by the override route). */
export interface OverrideRequest {
  /** Set live by the route, to find the override's outcome; the replay has none. */
  readonly overrideId?: string;
  readonly authorizationId: string;
  readonly accountId: string;
  readonly by: string;
  readonly why: string;
}

export const declineReasons = [
  'UNKNOWN_ACCOUNT',
  'ACCOUNT_NOT_ACTIVE',
  'UNKNOWN_USER',
  'CURRENCY_MISMATCH',
  'INSUFFICIENT_FUNDS',
  'STAND_IN_LIMIT',
  'NO_STATE',
] as const;
export type DeclineReason = (typeof declineReasons)[number];

/** The declines an override may turn into an approval. */
export const overridableReasons: ReadonlySet<DeclineReason> = new Set(['INSUFFICIENT_FUNDS', 'STAND_IN_LIMIT', 'UNKNOWN_USER']);

/** `authorizations.decided.v1`. */
export interface AuthorizationDecision {
  readonly authorizationId: string;
  readonly accountId: string;
  readonly decision: 'APPROVED' | 'DECLINED';
  readonly basis: 'STATE' | 'STAND_IN' | 'OVERRIDE';
  readonly reason: DeclineReason | null;
  readonly stateVersion: number | null;
  readonly decisionVersion: 1 | 2;
  readonly decidedAtMs: number;
  /** On an override (decisionVersion 2): who approved it and why. */
  readonly override?: { readonly by: string; readonly why: string; readonly overrideId?: string };
}

export const overrideRefusals = [
  'UNKNOWN_DECISION',
  'NOT_OVERRIDABLE',
  'WINDOW_CLOSED',
  'ALREADY_OVERRIDDEN',
  'ACCOUNT_NOT_ACTIVE',
] as const;
export type OverrideRefusal = (typeof overrideRefusals)[number];

/** What the processor emits: a decision, or an override it refused (the override route's 409). */
export type AuthorizationOutput =
  | { readonly kind: 'decision'; readonly decision: AuthorizationDecision }
  | { readonly kind: 'override-refused'; readonly override: OverrideRequest; readonly refusal: OverrideRefusal; readonly atMs: number };

/** The processor's input records, keyed by account id; watermarks come as the stream's own input. */
export type AuthorizationInput =
  | { readonly kind: 'request'; readonly request: AuthorizationRequest }
  | { readonly kind: 'state'; readonly update: AccountStateUpdate }
  | { readonly kind: 'override'; readonly override: OverrideRequest };
