import { AuthenticationError, MultipleErrors, NetworkError, ResponseError, UserError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { BackboneError } from '../errors.ts';
import { isBrokerUnavailable, toBackboneError, toConnectionError } from './errors.ts';

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
    [
      'retries that all failed the same way',
      new MultipleErrors('produce failed 4 times.', [answer(19), new NetworkError('Connection closed')]),
    ],
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
    expect(toBackboneError(new NetworkError('Connection closed'), 'publishing 3 message(s)').message).toBe(
      'Kafka unavailable while publishing 3 message(s): Connection closed',
    );
  });
});

describe('Kafka connection errors (toConnectionError)', () => {
  const identity = {
    bootstrapBrokers: ['kafka-1:9093'],
    sasl: { mechanism: 'SCRAM-SHA-256', username: 'svc', password: 'never-shown' },
    tls: {},
  };
  /** How the client reports a connection that failed for `cause`, after its retries. */
  const failed = (cause: Error) =>
    new MultipleErrors('metadata failed 4 times.', [new NetworkError('Connection to kafka-1:9093 failed.', { cause })]);
  const tlsError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it.each([
    [
      'a certificate for another host',
      tlsError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
      /^TLS to Kafka at kafka-1:9093 failed: the broker's certificate does not name the host connected to \(.*ERR_TLS_CERT_ALTNAME_INVALID\)$/,
    ],
    [
      'an expired certificate',
      tlsError('CERT_HAS_EXPIRED', 'certificate has expired'),
      /failed: the broker's certificate is outside its validity period \(certificate has expired, CERT_HAS_EXPIRED\)$/,
    ],
    [
      'an unknown issuer',
      tlsError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'),
      /failed: the broker's certificate is not signed by a CA this client trusts/,
    ],
    [
      'a refused client certificate',
      tlsError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required'),
      /^Kafka at kafka-1:9093 refused the TLS handshake \(tlsv13 alert certificate required\): it may require a client certificate, and none is configured$/,
    ],
    [
      'a mechanism the listener does not offer',
      new AuthenticationError('Cannot find a suitable SASL mechanism.'),
      /^Kafka at kafka-1:9093 did not accept the SASL SCRAM-SHA-256 login of user "svc" \(Cannot find a suitable SASL mechanism\.\)/,
    ],
  ])('%s is BROKER_AUTHENTICATION_FAILED, not retryable, and says why', (_, cause, message) => {
    const error = toConnectionError(failed(cause), identity);
    expect(error).toMatchObject({ code: 'BROKER_AUTHENTICATION_FAILED', retryable: false });
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('never-shown');
  });

  it('leaves an unreachable cluster BROKER_UNAVAILABLE and retryable', () => {
    const error = toConnectionError(failed(tlsError('ECONNREFUSED', 'connect ECONNREFUSED')), { bootstrapBrokers: ['kafka-1:9093'] });
    expect(error).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true });
    expect(error.message).toMatch(/^Kafka unavailable while connecting to kafka-1:9093/);
  });
});
