import { MultipleErrors, NetworkError, ResponseError, UserError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { BackboneError } from '../errors.ts';
import { isBrokerUnavailable, toBackboneError } from './errors.ts';

/** A broker answer with one partition-level error code, as the library reports it. */
function answer(code: number): ResponseError {
  return new ResponseError(8, 8, { '/topics/0/partitions/0': [code, null] }, {});
}

describe('Kafka errors', () => {
  it.each([
    ['a connection failure', new NetworkError('Connection to 127.0.0.1:9092 failed.')],
    ['NOT_COORDINATOR', answer(16)],
    ['COORDINATOR_LOAD_IN_PROGRESS', answer(14)],
    ['NOT_ENOUGH_REPLICAS', answer(19)],
    ['retries that all failed the same way', new MultipleErrors('produce failed 4 times.', [answer(19), new NetworkError('Connection closed')])],
  ])('%s is BROKER_UNAVAILABLE and retryable', (_, error) => {
    expect(isBrokerUnavailable(error)).toBe(true);
    expect(toBackboneError(error, 'publishing')).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true });
  });

  it.each([
    ['ILLEGAL_GENERATION', answer(22)],
    ['TOPIC_AUTHORIZATION_FAILED', answer(29)],
    ['a library usage error', new UserError('bad options')],
    ['something else', new Error('boom')],
  ])('%s is not retryable', (_, error) => {
    expect(isBrokerUnavailable(error)).toBe(false);
    expect(toBackboneError(error, 'committing').retryable).toBe(false);
  });

  it('keeps a BackboneError as it is and names what failed', () => {
    const original = new BackboneError('INVALID_OPTIONS', 'no such topic');
    expect(toBackboneError(original, 'publishing')).toBe(original);
    expect(toBackboneError(new NetworkError('Connection closed'), 'publishing 3 message(s)').message).toBe('Kafka unavailable while publishing 3 message(s): Connection closed');
  });
});
