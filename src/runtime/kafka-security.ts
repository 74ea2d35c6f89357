import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BackboneError, ErrorCodes } from '../backbone/errors.ts';

/**
 * How paystream authenticates to a managed Kafka and checks the brokers' identity: SASL (PLAIN,
 * SCRAM-SHA-256, SCRAM-SHA-512) and TLS, with a client certificate for mutual TLS. Read from the
 * environment once, at start, with every file read and every certificate parsed then, so that a
 * mistake stops the start with a message that names the variable instead of failing at the first
 * connection.
 */
export interface KafkaSecurityConfig {
  sasl: KafkaSaslConfig | undefined;
  /** Absent: plaintext connections. Present: TLS, trusting `ca` (or Node's CA store when absent). */
  tls: KafkaTlsConfig | undefined;
}

export const kafkaSaslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number];

export interface KafkaSaslConfig {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: string;
}

export interface KafkaTlsConfig {
  /** PEM certificates of the CAs that sign the brokers' certificates; absent: Node's CA store. */
  ca: string | undefined;
  /** The client's certificate chain and private key (PEM), for brokers that require mTLS. */
  cert: string | undefined;
  key: string | undefined;
}

/** The variables this module reads, in the order the documentation lists them. */
export const kafkaSecurityVariables = [
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_TLS',
  'KAFKA_TLS_CA_FILE',
  'KAFKA_TLS_CERT_FILE',
  'KAFKA_TLS_KEY_FILE',
] as const;

/**
 * Reads and validates the Kafka security variables. `kafkaConfigured` says whether KAFKA_BROKERS
 * is set: security settings without a Kafka to use them on are a mistake worth stopping for.
 * KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD may instead be read from files (`<NAME>_FILE`, as
 * container secrets are mounted); setting both forms is an error.
 */
export function readKafkaSecurity(env: NodeJS.ProcessEnv, kafkaConfigured: boolean): KafkaSecurityConfig {
  const mechanism = env.KAFKA_SASL_MECHANISM || undefined;
  const username = secret(env, 'KAFKA_SASL_USERNAME');
  const password = secret(env, 'KAFKA_SASL_PASSWORD');
  const tlsFlag = flag(env.KAFKA_TLS, 'KAFKA_TLS');
  const files = {
    ca: env.KAFKA_TLS_CA_FILE || undefined,
    cert: env.KAFKA_TLS_CERT_FILE || undefined,
    key: env.KAFKA_TLS_KEY_FILE || undefined,
  };
  const anySet =
    mechanism !== undefined ||
    username !== undefined ||
    password !== undefined ||
    tlsFlag ||
    Object.values(files).some((file) => file !== undefined);
  if (!anySet) return { sasl: undefined, tls: undefined };
  if (!kafkaConfigured) fail('KAFKA_SASL_* and KAFKA_TLS* configure the connection to Kafka, but KAFKA_BROKERS is not set');

  let sasl: KafkaSaslConfig | undefined;
  if (mechanism !== undefined) {
    if (!(kafkaSaslMechanisms as readonly string[]).includes(mechanism))
      fail(`KAFKA_SASL_MECHANISM must be one of ${kafkaSaslMechanisms.join(', ')}, got "${mechanism}"`);
    if (username === undefined) fail(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME (or KAFKA_SASL_USERNAME_FILE)`);
    if (password === undefined) fail(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)`);
    // PLAIN sends the password itself; SCRAM never does, but without TLS nothing proves the
    // broker is the one it claims to be, and the events travel in clear. Only PLAIN is refused:
    // SASL_PLAINTEXT with SCRAM is a legitimate setup inside a closed network.
    if (mechanism === 'PLAIN' && !tlsFlag)
      fail('KAFKA_SASL_MECHANISM=PLAIN sends the password in clear without TLS: set KAFKA_TLS=1 (a SASL_SSL listener)');
    sasl = { mechanism: mechanism as KafkaSaslMechanism, username, password };
  } else if (username !== undefined || password !== undefined) {
    fail(
      `${username !== undefined ? 'KAFKA_SASL_USERNAME' : 'KAFKA_SASL_PASSWORD'} is set but KAFKA_SASL_MECHANISM is not (one of ${kafkaSaslMechanisms.join(', ')})`,
    );
  }

  if (!tlsFlag) {
    const orphan = (['ca', 'cert', 'key'] as const).find((name) => files[name] !== undefined);
    if (orphan) fail(`KAFKA_TLS_${orphan.toUpperCase()}_FILE is set but KAFKA_TLS is not 1: the connection would not use it`);
    return { sasl, tls: undefined };
  }
  if (files.cert !== undefined && files.key === undefined)
    fail("KAFKA_TLS_CERT_FILE needs KAFKA_TLS_KEY_FILE (the client certificate's private key)");
  if (files.key !== undefined && files.cert === undefined) fail('KAFKA_TLS_KEY_FILE needs KAFKA_TLS_CERT_FILE (the client certificate)');
  const ca = files.ca === undefined ? undefined : certificates(files.ca, 'KAFKA_TLS_CA_FILE');
  const cert = files.cert === undefined ? undefined : certificates(files.cert, 'KAFKA_TLS_CERT_FILE');
  const key = files.key === undefined ? undefined : privateKey(files.key, 'KAFKA_TLS_KEY_FILE');
  if (cert !== undefined && key !== undefined && !new X509Certificate(cert).checkPrivateKey(key.object)) {
    fail(
      `KAFKA_TLS_KEY_FILE (${resolve(files.key!)}) is not the private key of the certificate in KAFKA_TLS_CERT_FILE (${resolve(files.cert!)})`,
    );
  }
  return { sasl, tls: { ca, cert, key: key?.pem } };
}

/** What may be logged about the connection's security: mechanisms and whether files are set, never names or secrets. */
export function describeKafkaSecurity(security: KafkaSecurityConfig): string {
  const sasl = security.sasl ? `SASL ${security.sasl.mechanism}` : 'no SASL';
  if (!security.tls) return `${sasl}, no TLS`;
  const trust = security.tls.ca ? 'CA from KAFKA_TLS_CA_FILE' : "Node.js's CA store";
  return `${sasl}, TLS (${trust}${security.tls.cert ? ', client certificate' : ''})`;
}

/**
 * A secret from NAME or from the file NAME_FILE (one trailing newline dropped: `echo` and most
 * editors add one). Never both: which one wins would be a guess.
 */
function secret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) fail(`${name} and ${name}_FILE are both set; set one`);
  if (file) {
    const value = readText(file, `${name}_FILE`).replace(/\r?\n$/, '');
    if (value === '') fail(`${name}_FILE (${resolve(file)}) is empty`);
    return value;
  }
  return direct || undefined;
}

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  return fail(`${name} must be 1 or 0, got "${value}"`);
}

/** The PEM certificates of a file, each parsed, so that a wrong file is named at start. */
function certificates(file: string, name: string): string {
  const text = readText(file, name);
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) fail(`${name} (${resolve(file)}) holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      fail(`${name} (${resolve(file)}) holds a certificate that cannot be read: ${(error as Error).message}`);
    }
  }
  return blocks.join('\n');
}

function privateKey(file: string, name: string): { pem: string; object: KeyObject } {
  const pem = readText(file, name);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    fail(`${name} (${resolve(file)}) holds an encrypted private key; give it unencrypted and protect the file by its permissions`);
  }
  if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(pem)) {
    fail(`${name} (${resolve(file)}) holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)`);
  }
  try {
    return { pem, object: createPrivateKey(pem) };
  } catch (error) {
    // The message of a key that fails to parse never quotes the key.
    fail(`${name} (${resolve(file)}) holds a private key that cannot be read: ${(error as Error).message}`);
  }
}

function readText(file: string, name: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`${name}: cannot read ${resolve(file)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function fail(message: string): never {
  throw new BackboneError(ErrorCodes.INVALID_OPTIONS, message);
}
