import type { ConsumedEvent } from '../backbone/consumer/handler.ts';

/**
 * The payment authorization's wire contract (issue 20, docs/authorization.md): its topics, keyed by
 * account id and co-partitioned (the requests, the core's state feed and the overrides meet in the
 * account's partition), the payloads and their Avro schemas. Times are ms since the epoch (long);
 * money is minor units (long) with an ISO 4217 currency.
 */
export const AuthorizationTopics = {
  /** A card-style authorization request: `requestedAt` is its event time. */
  requested: 'authorizations.requested.v1',
  /** The legacy core's feed: a state update of an account, or a partition's watermark. */
  accountState: 'accounts.state.v1',
  /** An owner's or ops officer's approval of a decline, sent into the account's partition by the route. */
  overrideRequested: 'authorizations.override-requested.v1',
  /** Each request's decision (decisionVersion 1) and an override's (2). */
  decided: 'authorizations.decided.v1',
} as const;

/** `authorizations.requested.v1`. */
export interface AuthorizationRequested {
  authorizationId: string;
  accountId: string;
  userId: string;
  amountMinor: bigint;
  currency: string;
  merchant: { id: string; categoryCode: string; country: string };
  /** Event time, ms since the epoch. */
  requestedAt: bigint;
}

/**
 * `accounts.state.v1`: a state update (every field but `watermark` set) or a watermark (only
 * `watermark` set: every update of this partition with `asOf ≤ watermark` came before it). One
 * record type with optional fields rather than a union, so the feed's one schema stays plain.
 */
export interface AccountStateMessage {
  accountId: string | null;
  version: bigint | null;
  asOf: bigint | null;
  status: 'ACTIVE' | 'BLOCKED' | 'CLOSED' | null;
  ownerUserId: string | null;
  authorizedUsers: string[];
  currency: string | null;
  availableMinor: bigint | null;
  /** Every authorization the core has applied to `availableMinor`, cumulative. */
  confirmedAuthorizationIds: string[];
  watermark: bigint | null;
}

/** `authorizations.override-requested.v1`: `overrideId` lets the route find its outcome. */
export interface AuthorizationOverrideRequested {
  overrideId: string;
  authorizationId: string;
  accountId: string;
  by: string;
  why: string;
}

/** `authorizations.decided.v1`. */
export interface AuthorizationDecided {
  authorizationId: string;
  accountId: string;
  decision: 'APPROVED' | 'DECLINED';
  basis: 'STATE' | 'STAND_IN' | 'OVERRIDE';
  reason: string | null;
  stateVersion: bigint | null;
  decisionVersion: number;
  decidedAt: bigint;
  overriddenBy: string | null;
  overrideReason: string | null;
}

const string = (name: string) => ({ name, type: 'string' });
const long = (name: string) => ({ name, type: 'long' });
const optional = (name: string, type: unknown) => ({ name, type: ['null', type], default: null });
const strings = (name: string) => ({ name, type: { type: 'array', items: 'string' }, default: [] });
const namespace = 'paystream.authorizations';

/** The Avro value schema of each authorization topic. */
export const authorizationSchemas: Record<(typeof AuthorizationTopics)[keyof typeof AuthorizationTopics], object> = {
  [AuthorizationTopics.requested]: {
    type: 'record',
    name: 'AuthorizationRequested',
    namespace,
    fields: [
      string('authorizationId'),
      string('accountId'),
      string('userId'),
      long('amountMinor'),
      string('currency'),
      {
        name: 'merchant',
        type: { type: 'record', name: 'Merchant', fields: [string('id'), string('categoryCode'), string('country')] },
      },
      long('requestedAt'),
    ],
  },
  [AuthorizationTopics.accountState]: {
    type: 'record',
    name: 'AccountStateMessage',
    namespace,
    fields: [
      optional('accountId', 'string'),
      optional('version', 'long'),
      optional('asOf', 'long'),
      optional('status', { type: 'enum', name: 'AccountStatus', symbols: ['ACTIVE', 'BLOCKED', 'CLOSED'] }),
      optional('ownerUserId', 'string'),
      strings('authorizedUsers'),
      optional('currency', 'string'),
      optional('availableMinor', 'long'),
      strings('confirmedAuthorizationIds'),
      optional('watermark', 'long'),
    ],
  },
  [AuthorizationTopics.overrideRequested]: {
    type: 'record',
    name: 'AuthorizationOverrideRequested',
    namespace,
    fields: [string('overrideId'), string('authorizationId'), string('accountId'), string('by'), string('why')],
  },
  [AuthorizationTopics.decided]: {
    type: 'record',
    name: 'AuthorizationDecided',
    namespace,
    fields: [
      string('authorizationId'),
      string('accountId'),
      { name: 'decision', type: { type: 'enum', name: 'AuthorizationOutcome', symbols: ['APPROVED', 'DECLINED'] } },
      { name: 'basis', type: { type: 'enum', name: 'AuthorizationBasis', symbols: ['STATE', 'STAND_IN', 'OVERRIDE'] } },
      optional('reason', 'string'),
      optional('stateVersion', 'long'),
      { name: 'decisionVersion', type: 'int' },
      long('decidedAt'),
      optional('overriddenBy', 'string'),
      optional('overrideReason', 'string'),
    ],
  },
};

/** The payload type of each authorization topic, once its Avro value is decoded. */
export interface AuthorizationTopicPayloads {
  [AuthorizationTopics.requested]: AuthorizationRequested;
  [AuthorizationTopics.accountState]: AccountStateMessage;
  [AuthorizationTopics.overrideRequested]: AuthorizationOverrideRequested;
  [AuthorizationTopics.decided]: AuthorizationDecided;
}
export type AuthorizationTopic = keyof AuthorizationTopicPayloads;

/**
 * Whether a consumed event was read from `topic`, narrowing its payload to that topic's: the codec
 * decoded it with the topic's schema, so the topic vouches for the payload (as `isEventOf` does
 * for the payment topics).
 */
export function isAuthorizationEventOf<Topic extends AuthorizationTopic>(
  event: ConsumedEvent,
  topic: Topic,
): event is ConsumedEvent<AuthorizationTopicPayloads[Topic]> & { readonly topic: Topic } {
  return event.topic === topic;
}
