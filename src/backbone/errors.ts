/**
 * Errors the backbone raises, each with a code from a closed list and whether retrying can help.
 * The consumer runner reads `retryable` to choose between retry and dead letter; the HTTP layer
 * maps codes to statuses. Programmer errors (broken invariants) are not `BackboneError`s: they are
 * assertions that stop the process.
 */
export const ErrorCodes = {
  /** The broker or log cannot be reached right now. */
  BROKER_UNAVAILABLE: 'BROKER_UNAVAILABLE',
  /**
   * The client and the broker could not authenticate each other: SASL credentials refused, a
   * mechanism the listener does not offer, a broker certificate the client does not trust, or a
   * client certificate the broker refused. Retrying cannot help; the configuration must change.
   */
  BROKER_AUTHENTICATION_FAILED: 'BROKER_AUTHENTICATION_FAILED',
  /** The database cannot be reached, or a transaction hit a serialisation failure or deadlock. */
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  /** The schema registry cannot be reached and the schema is not cached. */
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  /** A record whose bytes cannot be decoded: bad framing, unknown schema id, bad Avro. */
  UNDECODABLE_EVENT: 'UNDECODABLE_EVENT',
  /** A record decoded but lacking a required envelope field. */
  INVALID_ENVELOPE: 'INVALID_ENVELOPE',
  /** A schema change the subject's compatibility mode does not allow. */
  SCHEMA_INCOMPATIBLE: 'SCHEMA_INCOMPATIBLE',
  /** A schema that is not valid Avro, or a request the registry cannot serve. */
  SCHEMA_INVALID: 'SCHEMA_INVALID',
  /** A subject, version or id that does not exist. */
  SCHEMA_NOT_FOUND: 'SCHEMA_NOT_FOUND',
  /** A handler refused an event for good (business rule); retrying cannot help. */
  HANDLER_REJECTED: 'HANDLER_REJECTED',
  /** A handler failed in a way that may pass on retry (a dependency timed out). */
  HANDLER_TRANSIENT: 'HANDLER_TRANSIENT',
  /** A handler threw something that is not a `BackboneError`: treated as permanent. */
  HANDLER_FAILED: 'HANDLER_FAILED',
  /** Retries ran out. */
  RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED',
  /** A configuration or options object that does not validate. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const retryableByDefault: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.BROKER_UNAVAILABLE,
  ErrorCodes.DATABASE_UNAVAILABLE,
  ErrorCodes.REGISTRY_UNAVAILABLE,
  ErrorCodes.HANDLER_TRANSIENT,
]);

export class BackboneError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BackboneError';
    this.code = code;
    this.retryable = options.retryable ?? retryableByDefault.has(code);
  }
}

/** A permanent refusal by a handler: goes to the dead-letter topic without retries. */
export function permanentError(message: string, cause?: unknown): BackboneError {
  return new BackboneError(ErrorCodes.HANDLER_REJECTED, message, { cause, retryable: false });
}

/** A failure that may pass on retry: retried with backoff, then dead-lettered. */
export function transientError(message: string, cause?: unknown): BackboneError {
  return new BackboneError(ErrorCodes.HANDLER_TRANSIENT, message, { cause, retryable: true });
}

/** Classifies anything thrown: a `BackboneError` keeps its code; anything else is permanent. */
export function classifyError(error: unknown): { code: ErrorCode; retryable: boolean; message: string } {
  if (error instanceof BackboneError) return { code: error.code, retryable: error.retryable, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  if (isTransientDatabaseError(error)) return { code: ErrorCodes.DATABASE_UNAVAILABLE, retryable: true, message };
  return { code: ErrorCodes.HANDLER_FAILED, retryable: false, message };
}

/**
 * PostgreSQL errors that say "try again", by SQLSTATE: serialization failure and deadlock (the
 * server aborted this transaction to let another finish), lost or refused connections, and a server
 * shutting down or out of connections. A handler hitting one of these did nothing wrong.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const sqlState = (error as { code?: unknown } | null)?.code;
  if (typeof sqlState !== 'string') return false;
  return (
    sqlState === '40001' ||
    sqlState === '40P01' ||
    sqlState.startsWith('08') ||
    sqlState === '57P01' ||
    sqlState === '57P02' ||
    sqlState === '57P03' ||
    sqlState === '53300'
  );
}
