/**
 * paystream on a Kafka that authenticates, as a managed Kafka does: a broker of its own with a
 * SASL_SSL listener (SCRAM users made by Kafka's storage tool, a certificate signed by a test CA)
 * and an SSL listener that requires a client certificate (test/support/kafka-secure-broker.ts).
 * Everything is configured as an operator would, through the environment and readConfig.
 *
 * The platform runs a payment end to end over SASL_SSL (the relay's producer, every consumer
 * group, the admin client and the lag collector); the CLI's topic command connects with the same
 * settings; a wrong password, an unknown CA and a missing client certificate stop a start with a
 * reason that names the mechanism, never the password.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BackboneError } from '../../src/backbone/errors.ts';
import { openBackbone } from '../../src/runtime/backbone.ts';
import { readConfig } from '../../src/runtime/config.ts';
import { createTestDatabase, describeWithKafka, uniqueName, type TestDatabase } from '../support/engines.ts';
import { KafkaSecureBroker } from '../support/kafka-secure-broker.ts';
import { externalCreditor, startTestPlatform } from '../support/platform-fixture.ts';

const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

describeWithKafka('paystream on a Kafka with SASL_SSL and mutual TLS', () => {
  let broker: KafkaSecureBroker;
  let database: TestDatabase;
  let dir: string;
  /** The SASL_SSL settings an operator would export, the password in a file (KAFKA_SASL_PASSWORD_FILE). */
  let saslSsl: NodeJS.ProcessEnv;

  beforeAll(async () => {
    broker = await KafkaSecureBroker.start();
    database = await createTestDatabase('kafka_security');
    dir = await mkdtemp(join(tmpdir(), 'paystream-kafka-security-'));
    await writeFile(join(dir, 'kafka-password'), `${broker.password}\n`, { mode: 0o600 });
    saslSsl = {
      KAFKA_BROKERS: broker.saslSslBrokers.join(','),
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: broker.username,
      KAFKA_SASL_PASSWORD_FILE: join(dir, 'kafka-password'),
      KAFKA_TLS: '1',
      KAFKA_TLS_CA_FILE: broker.files.caPem,
    };
  }, 300_000);

  afterAll(async () => {
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
    await broker?.stop();
  }, 120_000);

  it('runs a payment end to end over SASL_SSL with SCRAM-SHA-512, and never logs the password', { timeout: 240_000 }, async () => {
    const config = readConfig(saslSsl);
    if (config.eventLog.kind !== 'kafka') throw new Error('KAFKA_BROKERS should select Kafka');
    const logs = capturedLogger('debug');
    const platform = await startTestPlatform('kafka', { eventLog: config.eventLog, logger: logs.logger });
    try {
      const debtor = await platform.openAccount('Alice Example', { deposit: '500.00' });
      const { paymentId } = await platform.pay(debtor, { amount: '125.50', creditor: externalCreditor });
      const payment = await platform.settled(paymentId, 120_000);
      expect(payment.status).toBe('COMPLETED');
      expect(await platform.account(debtor)).toMatchObject({ balance: '374.50' });
      // The lag collector reads the groups' committed offsets through the same authenticated admin client.
      const metrics = await fetch(`${platform.url}/metrics`).then((response) => response.text());
      expect(metrics).toMatch(/paystream_consumer_lag_messages\{[^}]*\} \d+/);
    } finally {
      await platform.close();
    }
    expect(logs.text()).not.toContain(broker.password);
  });

  it.each(['PLAIN', 'SCRAM-SHA-256'])('logs in with %s as well', { timeout: 60_000 }, async (mechanism) => {
    const backbone = await openBackbone(
      readConfig({ ...saslSsl, KAFKA_SASL_MECHANISM: mechanism, DATABASE_URL: database.url }),
      capturedLogger('warn').logger,
    );
    await backbone.close();
  });

  it('says that a SASL_SSL listener needs TLS when KAFKA_TLS is off', { timeout: 60_000 }, async () => {
    const withoutTls = { ...saslSsl, KAFKA_TLS: undefined, KAFKA_TLS_CA_FILE: undefined, DATABASE_URL: database.url };
    const saslOnly = await openBackbone(readConfig(withoutTls), capturedLogger('warn').logger).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect((saslOnly as BackboneError).code).toBe('BROKER_AUTHENTICATION_FAILED');
    expect((saslOnly as BackboneError).message).toMatch(
      /^Kafka at 127\.0\.0\.1:\d+ did not accept the SASL SCRAM-SHA-512 login .*SASL_SSL needs TLS on as well/,
    );
    const plain = { KAFKA_BROKERS: saslSsl.KAFKA_BROKERS, DATABASE_URL: database.url };
    const nothing = await openBackbone(readConfig(plain), capturedLogger('warn').logger).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect((nothing as BackboneError).code).toBe('INVALID_OPTIONS');
    expect((nothing as BackboneError).message).toMatch(/^Kafka at 127\.0\.0\.1:\d+ expects TLS on this listener, and TLS is off$/);
  });

  it('lets the CLI plan the topics over SASL_SSL with the same settings', { timeout: 120_000 }, async () => {
    const result = await cli(['topics', 'plan'], { ...saslSsl, DATABASE_URL: database.url, PAYSTREAM_NAMESPACE: uniqueName('cli') });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/create/i);
  });

  it('stops a start on a wrong password with a reason that names the mechanism, not the password', { timeout: 120_000 }, async () => {
    const wrongPassword = `wrong-${broker.password}`;
    await writeFile(join(dir, 'wrong-password'), wrongPassword);
    const env = { ...saslSsl, KAFKA_SASL_PASSWORD_FILE: join(dir, 'wrong-password'), DATABASE_URL: database.url };
    const logs = capturedLogger('trace');
    const error = await openBackbone(readConfig(env), logs.logger).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(BackboneError);
    expect((error as BackboneError).code).toBe('BROKER_AUTHENTICATION_FAILED');
    expect((error as BackboneError).retryable).toBe(false);
    expect((error as BackboneError).message).toContain(`refused the SASL SCRAM-SHA-512 login of user "${broker.username}"`);
    // Everything that could end up in an operator's terminal or log: the message, the causes, pino's rendering.
    logs.logger.error({ err: error }, 'start failed');
    for (const text of [String(error), JSON.stringify(error), logs.text()]) {
      expect(text).not.toContain(wrongPassword);
      expect(text).not.toContain(broker.password);
    }
    // The CLI says the same, and exits 1.
    const result = await cli(['topics', 'plan'], env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('refused the SASL SCRAM-SHA-512 login');
    expect(result.stderr).toContain('SCRAM-SHA-512');
    expect(result.stdout + result.stderr).not.toContain(wrongPassword);
  });

  it("stops a start when the broker's certificate is signed by a CA it was not told to trust", { timeout: 120_000 }, async () => {
    const env = { ...saslSsl, KAFKA_TLS_CA_FILE: broker.files.otherCaPem, DATABASE_URL: database.url };
    const error = await openBackbone(readConfig(env), capturedLogger('warn').logger).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect((error as BackboneError).code).toBe('BROKER_AUTHENTICATION_FAILED');
    expect((error as BackboneError).message).toMatch(
      /^TLS to Kafka at 127\.0\.0\.1:\d+ failed: the broker's certificate is not signed by a CA this client trusts .*SELF_SIGNED_CERT_IN_CHAIN/,
    );
  });

  it(
    'produces and consumes with a client certificate on a listener that requires one (mTLS), and says why it fails without',
    { timeout: 120_000 },
    async () => {
      const mtls = {
        KAFKA_BROKERS: broker.mtlsBrokers.join(','),
        KAFKA_TLS: '1',
        KAFKA_TLS_CA_FILE: broker.files.caPem,
        DATABASE_URL: database.url,
      };
      const backbone = await openBackbone(
        readConfig({ ...mtls, KAFKA_TLS_CERT_FILE: broker.files.clientCertPem, KAFKA_TLS_KEY_FILE: broker.files.clientKeyPem }),
        capturedLogger('warn').logger,
      );
      try {
        const topic = uniqueName('test.mtls.v1');
        await backbone.topicAdmin.createTopics([
          {
            name: topic,
            partitions: 1,
            replicationFactor: 1,
            minInsyncReplicas: 1,
            retentionMs: -1,
            cleanupPolicy: 'delete',
            compression: 'producer',
          },
        ]);
        await backbone.bus.publish([{ topic, key: Buffer.from('k'), value: Buffer.from('over mTLS') }]);
        const received: string[] = [];
        const subscription = await backbone.bus.subscribe({
          groupId: uniqueName('mtls'),
          topics: [topic],
          handleBatch: async (batch) => {
            for (const record of batch.records) received.push(String(record.value));
          },
        });
        try {
          await eventually(() => expect(received).toEqual(['over mTLS']));
        } finally {
          await subscription.close();
        }
      } finally {
        await backbone.close();
      }

      const error = await openBackbone(readConfig(mtls), capturedLogger('warn').logger).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(BackboneError);
      expect((error as BackboneError).message).toContain('client certificate');
    },
  );
});

/** A pino logger that keeps its lines, to search them for what must not be logged. */
function capturedLogger(level: pino.Level): { logger: Logger; text(): string } {
  const lines: string[] = [];
  return { logger: pino({ level }, { write: (line: string) => lines.push(line) }), text: () => lines.join('') };
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  // Only what the command needs: the test run's own KAFKA_BROKERS and DATABASE_URL must not leak in.
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, PAYSTREAM_DATA_DIR: join(tmpdir(), uniqueName('paystream-cli')) };
  return new Promise((done) => {
    execFile(process.execPath, [cliMain, ...args], { env: { ...base, ...env }, timeout: 90_000 }, (error, stdout, stderr) => {
      done({ exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

async function eventually(assertion: () => void, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
