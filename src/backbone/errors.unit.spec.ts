import { describe, expect, it } from 'vitest';
import { classifyError, ErrorCodes, permanentError, transientError } from './errors.ts';

describe('classifyError', () => {
  it('keeps the code and retry flag of a BackboneError', () => {
    expect(classifyError(transientError('later'))).toMatchObject({ code: ErrorCodes.HANDLER_TRANSIENT, retryable: true });
    expect(classifyError(permanentError('never'))).toMatchObject({ code: ErrorCodes.HANDLER_REJECTED, retryable: false });
  });

  it.each([
    ['40P01', 'deadlock detected'],
    ['40001', 'could not serialize access'],
    ['08006', 'connection failure'],
    ['57P01', 'terminating connection due to administrator command'],
    ['53300', 'too many connections'],
  ])('treats PostgreSQL SQLSTATE %s (%s) as a retryable database error', (sqlState, message) => {
    const error = Object.assign(new Error(message), { code: sqlState });
    expect(classifyError(error)).toMatchObject({ code: ErrorCodes.DATABASE_UNAVAILABLE, retryable: true });
  });

  it('treats other errors, including constraint violations, as permanent handler failures', () => {
    expect(classifyError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toMatchObject({
      code: ErrorCodes.HANDLER_FAILED,
      retryable: false,
    });
    expect(classifyError(new TypeError('bug'))).toMatchObject({ code: ErrorCodes.HANDLER_FAILED, retryable: false });
  });
});
