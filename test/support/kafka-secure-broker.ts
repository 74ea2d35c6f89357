/**
 * A private single-node Kafka broker with authenticated listeners, for the tests of how the
 * platform reaches a managed Kafka (scripts/kafka/kafka.sh start --sasl-ssl-port --mtls-port):
 *
 * - SASL_SSL: TLS with a broker certificate signed by a test CA, then SASL (SCRAM-SHA-256,
 *   SCRAM-SHA-512 or PLAIN) with one user created by Kafka's own storage tool at format time;
 * - MTLS: TLS on which the broker requires a client certificate signed by the same CA.
 *
 * The certificates are made here with `keytool` (the CA, the broker's PKCS12 keystore, the
 * client's certificate) and converted to PEM with `openssl` for Node.js; a second, unrelated CA
 * is made for the "unknown CA" case. Everything lives in a temp directory that `stop` deletes.
 *
 * It needs what the local test broker needs (Java 17+ with keytool, the cached Kafka jars or
 * Maven) plus openssl, even when the run itself uses KAFKA_BROKERS; anything missing makes
 * `start` throw, so the test fails rather than skips.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const kafkaScript = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'scripts/kafka/kafka.sh');
const startTimeoutMs = 5 * 60_000;
const stopTimeoutMs = 60_000;
const toolTimeoutMs = 60_000;
const startAttempts = 5;

/** PEM files a client needs, by path (the platform's configuration names files). */
export interface SecureBrokerFiles {
  /** The test CA that signed the broker's and the client's certificates. */
  caPem: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the broker. */
  otherCaPem: string;
  /** The client's certificate and unencrypted PKCS#8 key, for the MTLS listener. */
  clientCertPem: string;
  clientKeyPem: string;
}

export class KafkaSecureBroker {
  readonly dir: string;
  /** Bootstrap address of the SASL_SSL listener. */
  readonly saslSslBrokers: string[];
  /** Bootstrap address of the SSL listener that requires a client certificate. */
  readonly mtlsBrokers: string[];
  readonly username: string;
  readonly password: string;
  readonly files: SecureBrokerFiles;
  /** Kills the broker if this process exits without `stop` (a crashed test worker). */
  readonly #killOnExit: () => void;

  private constructor(
    dir: string,
    ports: { saslSsl: number; mtls: number },
    username: string,
    password: string,
    files: SecureBrokerFiles,
    pid: number,
  ) {
    this.dir = dir;
    this.#killOnExit = () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', this.#killOnExit);
    this.saslSslBrokers = [`127.0.0.1:${ports.saslSsl}`];
    this.mtlsBrokers = [`127.0.0.1:${ports.mtls}`];
    this.username = username;
    this.password = password;
    this.files = files;
  }

  static async start(): Promise<KafkaSecureBroker> {
    const dir = await mkdtemp(join(tmpdir(), 'paystream-kafka-secure-'));
    try {
      const secrets = join(dir, 'secrets');
      await mkdir(secrets, { mode: 0o700 });
      const username = 'paystream';
      // Random, so that a test asserting "the password is not in the logs" cannot pass by luck.
      const password = `pw${randomBytes(12).toString('hex')}`;
      const files = await makeCertificates(secrets);
      await writeFile(join(secrets, 'scram-users'), `${username} ${password}\n`, { mode: 0o600 });
      let lastError: unknown;
      for (let attempt = 0; attempt < startAttempts; attempt++) {
        const base = randomBasePort();
        const ports = { plaintext: base, saslSsl: base + 1, mtls: base + 2 };
        try {
          await kafkaSh(
            [
              'start',
              '--dir',
              join(dir, 'broker'),
              '--port',
              String(ports.plaintext),
              '--sasl-ssl-port',
              String(ports.saslSsl),
              '--mtls-port',
              String(ports.mtls),
              '--secrets',
              secrets,
            ],
            startTimeoutMs,
          );
          const pid = Number(await readFile(join(dir, 'broker', 'kafka.pid'), 'utf8'));
          return new KafkaSecureBroker(dir, ports, username, password, files, pid);
        } catch (error) {
          lastError = error;
          if (!String((error as Error).message).includes('in use')) break;
        }
      }
      throw lastError;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stops the broker and deletes its directory (data, certificates, keys). */
  async stop(): Promise<void> {
    process.off('exit', this.#killOnExit);
    await kafkaSh(['stop', '--dir', join(this.dir, 'broker')], stopTimeoutMs);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * The CA and the broker's keystore with keytool, as a Kafka operator would make them; the client's
 * certificate with keytool too (signed by the CA); PEM copies with openssl for Node.js.
 */
async function makeCertificates(secrets: string): Promise<SecureBrokerFiles> {
  const storePassword = randomBytes(12).toString('hex');
  await writeFile(join(secrets, 'store-password'), storePassword, { mode: 0o600 });
  const at = (name: string) => join(secrets, name);
  const store = (file: string) => ['-keystore', at(file), '-storetype', 'PKCS12', '-storepass', storePassword];
  const keyPair = (alias: string, file: string, dname: string, ...extra: string[]) =>
    keytool([
      '-genkeypair',
      '-alias',
      alias,
      '-keyalg',
      'EC',
      '-groupname',
      'secp256r1',
      '-dname',
      dname,
      '-validity',
      '2',
      ...extra,
      ...store(file),
    ]);
  // Three key pairs at once: each keytool run is a JVM start.
  await Promise.all([
    keyPair('ca', 'ca-key.p12', 'CN=paystream test CA', '-ext', 'bc:c'),
    keyPair('broker', 'broker.p12', 'CN=localhost'),
    keyPair('client', 'client.p12', 'CN=paystream client'),
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      at('other-ca-key.pem'),
      '-subj',
      '/CN=unrelated test CA',
      '-days',
      '2',
      '-out',
      at('other-ca.pem'),
    ]),
  ]);
  await keytool(['-exportcert', '-alias', 'ca', '-rfc', '-file', at('ca.pem'), ...store('ca-key.p12')]);
  await Promise.all([
    keytool(['-certreq', '-alias', 'broker', '-file', at('broker.csr'), ...store('broker.p12')]),
    keytool(['-certreq', '-alias', 'client', '-file', at('client.csr'), ...store('client.p12')]),
    // The truststore of the MTLS listener: only the CA.
    keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', at('ca.pem'), ...store('ca.p12')]),
  ]);
  await Promise.all([
    keytool([
      '-gencert',
      '-alias',
      'ca',
      '-infile',
      at('broker.csr'),
      '-outfile',
      at('broker.pem'),
      '-rfc',
      '-validity',
      '2',
      '-ext',
      'SAN=dns:localhost,ip:127.0.0.1',
      '-ext',
      'EKU=serverAuth',
      ...store('ca-key.p12'),
    ]),
    keytool([
      '-gencert',
      '-alias',
      'ca',
      '-infile',
      at('client.csr'),
      '-outfile',
      at('client.pem'),
      '-rfc',
      '-validity',
      '2',
      '-ext',
      'EKU=clientAuth',
      ...store('ca-key.p12'),
    ]),
  ]);
  // A signed certificate replaces the self-signed one once its issuer is in the store.
  for (const name of ['broker', 'client']) {
    await keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', at('ca.pem'), ...store(`${name}.p12`)]);
    await keytool(['-importcert', '-noprompt', '-alias', name, '-file', at(`${name}.pem`), ...store(`${name}.p12`)]);
  }
  await openssl([
    'pkcs12',
    '-in',
    at('client.p12'),
    '-passin',
    `pass:${storePassword}`,
    '-nocerts',
    '-nodes',
    '-out',
    at('client-key-bag.pem'),
  ]);
  // Without the PKCS#12 bag attributes openssl writes above the key.
  await openssl(['pkey', '-in', at('client-key-bag.pem'), '-out', at('client-key.pem')]);
  return { caPem: at('ca.pem'), otherCaPem: at('other-ca.pem'), clientCertPem: at('client.pem'), clientKeyPem: at('client-key.pem') };
}

function keytool(args: readonly string[]): Promise<string> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin/keytool') : 'keytool';
  return run(java, ['-J-XX:+UseSerialGC', '-J-XX:TieredStopAtLevel=1', '-J-Xshare:auto', ...args], toolTimeoutMs);
}

function openssl(args: readonly string[]): Promise<string> {
  return run('openssl', args, toolTimeoutMs);
}

/** Three consecutive ports (plaintext, SASL_SSL, MTLS) and the controller's at +100, below the ephemeral range. */
function randomBasePort(): number {
  return 20_000 + 10 * Math.floor(Math.random() * 1_100) + 5;
}

function kafkaSh(args: readonly string[], timeoutMs: number): Promise<string> {
  return run('bash', [kafkaScript, ...args], timeoutMs).then((stdout) => stdout.trim().split('\n').at(-1) ?? '');
}

function run(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  // The probe inside kafka.sh runs on Node 24: put the Node running this process first on PATH.
  const path = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  return new Promise((done, fail) => {
    execFile(command, args, { timeout: timeoutMs, env: { ...process.env, PATH: path } }, (error, stdout, stderr) => {
      if (error)
        fail(
          new Error(
            `${command} ${args.slice(0, 2).join(' ')} failed: ${error.message}\n${stderr.trim().split('\n').slice(-15).join('\n')}`,
          ),
        );
      else done(stdout);
    });
  });
}
