/** Why a reconciliation run could not produce a report: a closed list, each retryable or not. */
export const ReconciliationErrorCodes = {
  /** The network's statement could not be fetched now (down, timeout, 5xx): try again later. */
  STATEMENT_UNAVAILABLE: 'STATEMENT_UNAVAILABLE',
  /** The statement came but is not a valid camt.053.001.08 of that day: an operator must look. */
  STATEMENT_INVALID: 'STATEMENT_INVALID',
  /** The business date is not a `YYYY-MM-DD` date, or lies in the future. */
  INVALID_DATE: 'INVALID_DATE',
} as const;
export type ReconciliationErrorCode = (typeof ReconciliationErrorCodes)[keyof typeof ReconciliationErrorCodes];

export class ReconciliationError extends Error {
  readonly code: ReconciliationErrorCode;
  readonly retryable: boolean;

  constructor(code: ReconciliationErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReconciliationError';
    this.code = code;
    this.retryable = code === ReconciliationErrorCodes.STATEMENT_UNAVAILABLE;
  }
}
