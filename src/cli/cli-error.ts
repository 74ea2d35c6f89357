/**
 * An error the command line explains in one line: a running platform holding the embedded
 * database, an API answering a problem, a platform that does not answer. Printed as
 * `paystream: <message>` without a stack trace; any other error is unexpected (see program.ts).
 */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
