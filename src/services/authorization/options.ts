/** The authorization processor's options: defaults in one place, validated once. */
export interface AuthorizationOptions {
  /** How long a request waits for its state to be complete before a stand-in decision. */
  readonly graceMs: number;
  /** The largest amount a stand-in decision approves, in minor units of the request's currency. */
  readonly standInLimitMinor: bigint;
  /** A hold ends this long after its decision, confirmed or not. */
  readonly holdTtlMs: number;
  /** How long after a decline an override may approve it. */
  readonly overrideWindowMs: number;
  /** How far behind the newest request event time of a partition a request may still arrive. */
  readonly requestLatenessMs: number;
  /** How long an authorization id is remembered to ignore a duplicate request. */
  readonly duplicateWindowMs: number;
  /** How long a CLOSED account is kept before it is dropped from state. */
  readonly closedAccountRetentionMs: number;
}

export const defaultAuthorizationOptions: AuthorizationOptions = {
  graceMs: 3_000,
  standInLimitMinor: 5_000n,
  holdTtlMs: 7 * 86_400_000,
  overrideWindowMs: 60_000,
  requestLatenessMs: 60_000,
  duplicateWindowMs: 7 * 86_400_000,
  closedAccountRetentionMs: 30 * 86_400_000,
};

/** The defaults with `overrides` applied; throws a RangeError naming the first bad option. */
export function authorizationOptions(overrides: Partial<AuthorizationOptions> = {}): AuthorizationOptions {
  const options = { ...defaultAuthorizationOptions, ...overrides };
  for (const name of [
    'graceMs',
    'holdTtlMs',
    'overrideWindowMs',
    'requestLatenessMs',
    'duplicateWindowMs',
    'closedAccountRetentionMs',
  ] as const) {
    if (!Number.isSafeInteger(options[name]) || options[name] < 0) throw new RangeError(`${name} must be a whole number of ms ≥ 0`);
  }
  if (options.standInLimitMinor < 0n) throw new RangeError('standInLimitMinor must be ≥ 0');
  // A closed account still answers duplicates and late requests until it is dropped.
  if (options.closedAccountRetentionMs < Math.max(options.duplicateWindowMs, options.requestLatenessMs))
    throw new RangeError('closedAccountRetentionMs must be ≥ duplicateWindowMs and requestLatenessMs');
  return options;
}
