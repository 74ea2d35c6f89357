import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackboneError } from '../backbone/errors.ts';
import { describeConfig, readConfig } from './config.ts';
import { kafkaConnectionOptions } from './backbone.ts';

describe('Kafka security configuration (KAFKA_SASL_*, KAFKA_TLS*)', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  const brokers = { KAFKA_BROKERS: 'kafka-1.bank.internal:9093' };
  const scram = {
    ...brokers,
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: 'svc-kafka-user',
    KAFKA_SASL_PASSWORD: 's3cret-value',
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'paystream-kafka-security-'));
    // Two self-signed certificates with their keys: one client identity, and one whose key does not match the other's certificate.
    for (const name of ['a', 'b']) {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          file(`${name}-key.pem`),
          '-subj',
          `/CN=${name}`,
          '-days',
          '1',
          '-out',
          file(`${name}.pem`),
        ],
        { stdio: 'ignore' },
      );
    }
    execFileSync('openssl', ['pkey', '-in', file('a-key.pem'), '-aes256', '-passout', 'pass:x', '-out', file('a-key-encrypted.pem')], {
      stdio: 'ignore',
    });
    writeFileSync(file('password'), 'from-a-file\n');
    writeFileSync(file('empty'), '\n');
    writeFileSync(file('not-pem'), 'hello\n');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a plain connection when nothing is set', () => {
    const config = readConfig(brokers);
    expect(config.eventLog).toMatchObject({ kind: 'kafka', security: { sasl: undefined, tls: undefined } });
    expect(kafkaConnectionOptions(['b:1'], undefined)).toEqual({ bootstrapBrokers: ['b:1'] });
  });

  it('reads SCRAM over TLS with a CA and a client certificate, and hands them to the Kafka clients', () => {
    const config = readConfig({
      ...scram,
      KAFKA_TLS: '1',
      KAFKA_TLS_CA_FILE: file('b.pem'),
      KAFKA_TLS_CERT_FILE: file('a.pem'),
      KAFKA_TLS_KEY_FILE: file('a-key.pem'),
    });
    if (config.eventLog.kind !== 'kafka') throw new Error('expected Kafka');
    const options = kafkaConnectionOptions(config.eventLog.brokers, config.eventLog.security);
    expect(options.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'svc-kafka-user', password: 's3cret-value' });
    expect(options.tls?.ca).toContain('-----BEGIN CERTIFICATE-----');
    expect(options.tls?.cert).toContain('-----BEGIN CERTIFICATE-----');
    expect(options.tls?.key).toContain('PRIVATE KEY-----');
  });

  it('says what it uses without the user, the password or the files', () => {
    const described = JSON.stringify(describeConfig(readConfig({ ...scram, KAFKA_TLS: '1', KAFKA_TLS_CA_FILE: file('b.pem') })));
    expect(described).toContain('SASL SCRAM-SHA-512, TLS (CA from KAFKA_TLS_CA_FILE)');
    expect(described).not.toContain('s3cret-value');
    expect(described).not.toContain('svc-kafka-user');
  });

  it("uses TLS with Node.js's CA store when KAFKA_TLS=1 names no CA", () => {
    const config = readConfig({ ...brokers, KAFKA_TLS: '1' });
    if (config.eventLog.kind !== 'kafka') throw new Error('expected Kafka');
    expect(kafkaConnectionOptions(config.eventLog.brokers, config.eventLog.security)).toEqual({
      bootstrapBrokers: ['kafka-1.bank.internal:9093'],
      tls: {},
    });
  });

  it('reads the username and the password from files (<NAME>_FILE), without the trailing newline', () => {
    writeFileSync(file('user'), 'svc-paystream\n');
    const config = readConfig({
      ...brokers,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME_FILE: file('user'),
      KAFKA_SASL_PASSWORD_FILE: file('password'),
    });
    if (config.eventLog.kind !== 'kafka') throw new Error('expected Kafka');
    expect(config.eventLog.security?.sasl).toEqual({ mechanism: 'SCRAM-SHA-256', username: 'svc-paystream', password: 'from-a-file' });
  });

  const refused: [string, () => NodeJS.ProcessEnv, RegExp][] = [
    [
      'an unknown mechanism',
      () => ({ ...scram, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-1' }),
      /KAFKA_SASL_MECHANISM must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, got "SCRAM-SHA-1"/,
    ],
    [
      'a mechanism without a username',
      () => ({ ...scram, KAFKA_SASL_USERNAME: '' }),
      /KAFKA_SASL_MECHANISM=SCRAM-SHA-512 needs KAFKA_SASL_USERNAME/,
    ],
    [
      'a username without a password',
      () => ({ ...scram, KAFKA_SASL_PASSWORD: undefined }),
      /KAFKA_SASL_MECHANISM=SCRAM-SHA-512 needs KAFKA_SASL_PASSWORD \(or KAFKA_SASL_PASSWORD_FILE\)/,
    ],
    [
      'credentials without a mechanism',
      () => ({ ...scram, KAFKA_SASL_MECHANISM: undefined }),
      /KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is not/,
    ],
    [
      'a secret set both ways',
      () => ({ ...scram, KAFKA_SASL_PASSWORD_FILE: file('password') }),
      /KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set; set one/,
    ],
    [
      'a secret file that does not exist',
      () => ({ ...scram, KAFKA_SASL_PASSWORD: undefined, KAFKA_SASL_PASSWORD_FILE: file('missing') }),
      /KAFKA_SASL_PASSWORD_FILE: cannot read .*missing \(ENOENT\)/,
    ],
    [
      'an empty secret file',
      () => ({ ...scram, KAFKA_SASL_PASSWORD: undefined, KAFKA_SASL_PASSWORD_FILE: file('empty') }),
      /KAFKA_SASL_PASSWORD_FILE \(.*empty\) is empty/,
    ],
    [
      'PLAIN without TLS',
      () => ({ ...scram, KAFKA_SASL_MECHANISM: 'PLAIN' }),
      /KAFKA_SASL_MECHANISM=PLAIN sends the password in clear without TLS: set KAFKA_TLS=1/,
    ],
    ['security settings without KAFKA_BROKERS', () => ({ ...scram, KAFKA_BROKERS: undefined }), /KAFKA_BROKERS is not set/],
    ['KAFKA_TLS other than 1 or 0', () => ({ ...brokers, KAFKA_TLS: 'true' }), /KAFKA_TLS must be 1 or 0, got "true"/],
    [
      'a CA file without KAFKA_TLS=1',
      () => ({ ...brokers, KAFKA_TLS_CA_FILE: file('a.pem') }),
      /KAFKA_TLS_CA_FILE is set but KAFKA_TLS is not 1/,
    ],
    [
      'a client certificate without its key',
      () => ({ ...brokers, KAFKA_TLS: '1', KAFKA_TLS_CERT_FILE: file('a.pem') }),
      /KAFKA_TLS_CERT_FILE needs KAFKA_TLS_KEY_FILE/,
    ],
    [
      'a client key without its certificate',
      () => ({ ...brokers, KAFKA_TLS: '1', KAFKA_TLS_KEY_FILE: file('a-key.pem') }),
      /KAFKA_TLS_KEY_FILE needs KAFKA_TLS_CERT_FILE/,
    ],
    [
      "a key that is not the certificate's",
      () => ({ ...brokers, KAFKA_TLS: '1', KAFKA_TLS_CERT_FILE: file('a.pem'), KAFKA_TLS_KEY_FILE: file('b-key.pem') }),
      /KAFKA_TLS_KEY_FILE \(.*b-key.pem\) is not the private key of the certificate in KAFKA_TLS_CERT_FILE/,
    ],
    [
      'an encrypted key',
      () => ({ ...brokers, KAFKA_TLS: '1', KAFKA_TLS_CERT_FILE: file('a.pem'), KAFKA_TLS_KEY_FILE: file('a-key-encrypted.pem') }),
      /KAFKA_TLS_KEY_FILE \(.*\) holds an encrypted private key/,
    ],
    [
      'a CA file without a certificate',
      () => ({ ...brokers, KAFKA_TLS: '1', KAFKA_TLS_CA_FILE: file('not-pem') }),
      /KAFKA_TLS_CA_FILE \(.*not-pem\) holds no PEM certificate/,
    ],
    [
      'a CA file that does not exist',
      () => ({ ...brokers, KAFKA_TLS: '1', KAFKA_TLS_CA_FILE: file('nope.pem') }),
      /KAFKA_TLS_CA_FILE: cannot read .*nope.pem \(ENOENT\)/,
    ],
  ];
  it.each(refused)('refuses %s, naming the variable', (_case, env, message) => {
    let thrown: unknown;
    try {
      readConfig(env());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BackboneError);
    expect((thrown as BackboneError).code).toBe('INVALID_OPTIONS');
    expect((thrown as BackboneError).message).toMatch(message);
    expect((thrown as BackboneError).message).not.toContain('s3cret-value');
    expect((thrown as BackboneError).message).not.toContain('from-a-file');
  });
});
