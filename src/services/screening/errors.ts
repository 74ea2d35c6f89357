/**
 * Errors of sanctions screening, each with a code from a closed list and whether retrying can help.
 * A malformed list is permanent (the file will not parse better next time; the store keeps the
 * previous version); an unreadable file may be transient (being replaced, NFS hiccup).
 */
export const ScreeningErrorCodes = {
  /** A list file does not parse or breaks the published format. The message names file and line. */
  LIST_MALFORMED: 'SANCTIONS_LIST_MALFORMED',
  /** A list file cannot be read right now. */
  LIST_UNREADABLE: 'SANCTIONS_LIST_UNREADABLE',
  /** No list is loaded yet: the store was asked for a snapshot before its first successful load. */
  LISTS_NOT_LOADED: 'SANCTIONS_LISTS_NOT_LOADED',
  /** An options object that does not validate. */
  INVALID_OPTIONS: 'SCREENING_INVALID_OPTIONS',
} as const;

export type ScreeningErrorCode = (typeof ScreeningErrorCodes)[keyof typeof ScreeningErrorCodes];

export class ScreeningError extends Error {
  readonly code: ScreeningErrorCode;
  readonly canRetry: boolean;
  /** The file at fault, when there is one. */
  readonly file: string | undefined;
  /** 1-based line in that file, when the parser knows it. */
  readonly line: number | undefined;

  constructor(
    code: ScreeningErrorCode,
    message: string,
    details: { file?: string; line?: number; cause?: unknown; canRetry?: boolean } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ScreeningError';
    this.code = code;
    this.canRetry = details.canRetry ?? code === ScreeningErrorCodes.LIST_UNREADABLE;
    this.file = details.file;
    this.line = details.line;
  }
}

export function malformedList(file: string, line: number | undefined, what: string, cause?: unknown): ScreeningError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new ScreeningError(ScreeningErrorCodes.LIST_MALFORMED, `malformed list file ${where}: ${what}`, {
    file,
    ...(line === undefined ? {} : { line }),
    cause,
  });
}
