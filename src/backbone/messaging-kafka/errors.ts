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
