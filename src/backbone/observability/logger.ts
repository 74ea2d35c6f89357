import { hostname } from 'node:os';
import pino from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';
import { currentLogContext } from './log-context.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Default `info`. */
  level?: Level;
  /** The component or service, as a `service` field on every line. */
  service?: string;
  /**
   * Where values are replaced by `redactCensor`. Each entry is a path from the logged object
   * (`headers.authorization`, `debtor.name`) and is also matched one and two levels down
   * (`*.debtor.name`, `*.*.debtor.name`), because the redactor's `*` stands for exactly one level
   * and secrets tend to sit inside a `req`, `event` or `payload`. Default `defaultRedactPaths`;
   * to extend it, pass `[...defaultRedactPaths, 'more.paths']`.
   */
  redactPaths?: readonly string[];
  /** Default `[REDACTED]`. */
  redactCensor?: string;
  /** Default stdout. Tests pass a stream that collects the lines. */
  destination?: DestinationStream;
}

/**
 * Secrets and personal data kept out of logs by default. Party names are listed by party rather
 * than as `*.name`, which would also hide harmless fields such as an error's or a topic's name.
 */
export const defaultRedactPaths: readonly string[] = Object.freeze([
  // credentials
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-api-key"]',
  'password',
  'apiKey',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'clientSecret',
  // account identifiers and contact data
  'iban',
  'accountNumber',
  'cardNumber',
  'email',
  'phone',
  // names of the parties to a payment
  ...[
    'debtor',
    'creditor',
    'ultimateDebtor',
    'ultimateCreditor',
    'sender',
    'beneficiary',
    'originator',
    'payer',
    'payee',
    'party',
    'customer',
    'applicant',
  ].map((party) => `${party}.name`),
]);

/**
 * A JSON logger: one object per line, ISO timestamps, level as a word, secrets redacted, and the
 * fields of the current `withLogContext` (correlationId first of all) on every line. A field given
 * at the call site wins over the same field from the context.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const redactPaths = options.redactPaths ?? defaultRedactPaths;
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, hostname: hostname(), ...(options.service === undefined ? {} : { service: options.service }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // A copy: pino merges the call-site fields into the object the mixin returns, which would
      // otherwise write them into the shared context.
      mixin: () => ({ ...currentLogContext() }),
      redact: { paths: redactPaths.flatMap((path) => [path, `*.${path}`, `*.*.${path}`]), censor: options.redactCensor ?? '[REDACTED]' },
    },
    // Synchronous writes: the line that explains a crash must not be lost in a buffer when the
    // process stops loudly on a broken invariant.
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
