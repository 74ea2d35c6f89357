import { findErrorBy } from '@platformatic/kafka';
import { BackboneError, ErrorCodes } from '../errors.ts';

/**
 * Maps a @platformatic/kafka failure to the backbone's vocabulary. Connection failures, timeouts
 * and broker answers that say "try again" (no leader yet, not enough in-sync replicas, coordinator
 * loading) become `BROKER_UNAVAILABLE`, retryable: the retry middleware backs off and tries again.
 * Anything else (a bad request, a missing topic, an authorisation failure) keeps its message and is
 * not retryable: retrying cannot fix it.
 */
export function toBackboneError(error: unknown, doing: string): BackboneError {
  if (error instanceof BackboneError) return error;
  const detail = describe(error);
  if (isBrokerUnavailable(error)) {
    return new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, `Kafka unavailable while ${doing}: ${detail}`, { cause: error });
  }
  return new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, `Kafka refused ${doing}: ${detail}`, { cause: error, retryable: false });
}

/** True when the failure is the cluster's state (unreachable, electing, short of replicas), not the request's. */
export function isBrokerUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (findErrorBy(error, 'code', 'PLT_KFK_NETWORK') || findErrorBy(error, 'code', 'PLT_KFK_TIMEOUT')) return true;
  // A chain whose every error is retryable (the library marks protocol errors it would retry).
  return findErrorBy(error, 'canRetry', true) !== null && findErrorBy(error, 'canRetry', false) === null;
}

/** The first line of each nested error, so a `MultipleErrors` says what actually failed. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const nested = error instanceof AggregateError ? error.errors.map((e: unknown) => describe(e)) : [];
  const own = [error.message, 'apiId' in error && error.apiId ? `(${String(error.apiId)})` : ''].filter(Boolean).join(' ');
  return nested.length > 0 ? `${own} [${[...new Set(nested)].join('; ')}]` : own;
}

/** What `toConnectionError` needs to know of the connection: where, and with which identity. */
export interface ConnectionIdentity {
  bootstrapBrokers: readonly string[];
  sasl?: { mechanism: string; username?: unknown } | undefined;
  tls?: { cert?: unknown } | undefined;
}

/**
 * Explains a failure to connect when the cause is identity, not availability: the SASL login
 * refused, a mechanism the listener does not offer, a broker certificate this client does not
 * trust, a handshake the broker refused. These become `BROKER_AUTHENTICATION_FAILED`, not
 * retryable, with the mechanism and user named; never the password, which the client's errors do
 * not carry either. Anything else goes through `toBackboneError`.
 */
export function toConnectionError(error: unknown, identity: ConnectionIdentity): BackboneError {
  const where = `Kafka at ${identity.bootstrapBrokers.join(',')}`;
  const fail = (message: string) => new BackboneError(ErrorCodes.BROKER_AUTHENTICATION_FAILED, message, { cause: error, retryable: false });
  const sasl = identity.sasl;
  const login = sasl
    ? `the SASL ${sasl.mechanism} login of user "${typeof sasl.username === 'string' ? sasl.username : '(from a provider)'}"`
    : 'the login';
  const chain = causes(error);
  const authentication = chain.find((e) => (e as { code?: unknown }).code === 'PLT_KFK_AUTHENTICATION');
  if (authentication) {
    if (chain.some((e) => (e as { apiId?: unknown }).apiId === 'SASL_AUTHENTICATION_FAILED')) {
      return fail(
        `${where} refused ${login}: wrong username or password, or no ${sasl?.mechanism ?? 'SASL'} credentials for this user on the cluster`,
      );
    }
    return fail(
      `${where} did not accept ${login} (${authentication.message}): the listener does not offer ${sasl?.mechanism ?? 'this mechanism'}, or it is not a SASL listener (SASL_SSL needs TLS on as well)`,
    );
  }
  const tls = chain.find((e) => tlsVerificationCodes.has(String((e as { code?: unknown }).code)));
  if (tls) {
    const code = String((tls as { code?: unknown }).code);
    const reason =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? "the broker's certificate does not name the host connected to"
        : code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
          ? "the broker's certificate is outside its validity period"
          : "the broker's certificate is not signed by a CA this client trusts (the configured CA file, or Node.js's CA store without one)";
    return fail(`TLS to ${where} failed: ${reason} (${tls.message}, ${code})`);
  }
  const alert = chain.find((e) => /^ERR_SSL_.*ALERT/.test(String((e as { code?: unknown }).code)));
  if (alert) {
    const certificate =
      identity.tls?.cert === undefined
        ? 'it may require a client certificate, and none is configured'
        : 'it may not trust the client certificate';
    return fail(`${where} refused the TLS handshake (${alert.message}): ${certificate}`);
  }
  // The client's own answer when a TLS listener answers a plaintext hello.
  if (identity.tls === undefined && chain.some((e) => e.message === 'Broker requires TLS.')) {
    return new BackboneError(ErrorCodes.INVALID_OPTIONS, `${where} expects TLS on this listener, and TLS is off`, {
      cause: error,
      retryable: false,
    });
  }
  const mapped = toBackboneError(error, `connecting to ${identity.bootstrapBrokers.join(',')}`);
  // A listener that requires a client certificate closes a TLS 1.3 connection without one right
  // after the handshake, and the client sees only "Connection closed": say what that may mean.
  if (identity.tls !== undefined && identity.tls.cert === undefined && chain.some((e) => e.message === 'Connection closed')) {
    return new BackboneError(mapped.code, `${mapped.message}; if the broker requires a client certificate (mTLS), none is configured`, {
      cause: error,
      retryable: mapped.retryable,
    });
  }
  return mapped;
}

/** Node's codes for a peer certificate that fails verification. */
const tlsVerificationCodes = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The error and everything it wraps (`cause`, and the `errors` of an aggregate), depth first. */
function causes(error: unknown, seen = new Set<unknown>()): Error[] {
  if (!(error instanceof Error) || seen.has(error)) return [];
  seen.add(error);
  const errors = (error as { errors?: unknown }).errors;
  const nested = Array.isArray(errors) ? errors : [];
  return [error, ...causes(error.cause, seen), ...nested.flatMap((e) => causes(e, seen))];
}
