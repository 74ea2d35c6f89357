import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../backbone/observability/metrics.ts';
import { embeddedFixture, type BackboneFixture } from '../backbone/testing/embedded-fixture.ts';
import { openCommandChannel } from './command-channel.ts';
import { describeConfig, readConfig } from './config.ts';

describe('the saga command channel in the configuration', () => {
  it('is the event bus by default', () => {
    expect(readConfig({}).sagaCommands).toEqual({ kind: 'bus' });
    expect(readConfig({ SAGA_COMMAND_CHANNEL: 'bus', RABBITMQ_URL: 'amqp://mq.example' }).sagaCommands).toEqual({ kind: 'bus' });
  });

  it('is RabbitMQ at RABBITMQ_URL, or the local broker, when asked for', () => {
    expect(readConfig({ SAGA_COMMAND_CHANNEL: 'rabbitmq' }).sagaCommands).toEqual({
      kind: 'rabbitmq',
      url: 'amqp://guest:guest@127.0.0.1:5672',
    });
    expect(
      readConfig({ SAGA_COMMAND_CHANNEL: 'rabbitmq', RABBITMQ_URL: 'amqps://loans:s3cret@mq.bank.example:5671/payments' }).sagaCommands,
    ).toEqual({
      kind: 'rabbitmq',
      url: 'amqps://loans:s3cret@mq.bank.example:5671/payments',
    });
  });

  it('refuses an unknown channel and a URL that is not AMQP, without repeating the URL', () => {
    expect(() => readConfig({ SAGA_COMMAND_CHANNEL: 'kafka' })).toThrow('SAGA_COMMAND_CHANNEL must be bus or rabbitmq, got "kafka"');
    for (const url of ['http://guest:s3cret@mq.example', 'not a url', 'amqp://']) {
      let message = '';
      try {
        readConfig({ SAGA_COMMAND_CHANNEL: 'rabbitmq', RABBITMQ_URL: url });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^RABBITMQ_URL must be an amqp:\/\/ or amqps:\/\/ URL with a host/);
      expect(message).not.toContain('s3cret');
    }
  });

  it('is described without credentials', () => {
    const config = readConfig({ SAGA_COMMAND_CHANNEL: 'rabbitmq', RABBITMQ_URL: 'amqp://loans:s3cret@mq.bank.example:5672/' });
    expect(describeConfig(config).sagaCommands).toBe('RabbitMQ at amqp://***@mq.bank.example:5672/');
    expect(describeConfig(readConfig({})).sagaCommands).toBe('the event bus');
  });
});

describe('openCommandChannel', () => {
  let fixture: BackboneFixture;
  const registry = createMetricsRegistry({ processMetrics: false });
  beforeAll(async () => {
    fixture = await embeddedFixture();
  });
  afterAll(() => fixture?.close());

  const open = (env: NodeJS.ProcessEnv) =>
    openCommandChannel({ config: readConfig(env), db: fixture.db, consumerDeps: () => fixture.deps, metricsRegistry: registry });

  it('builds the event-bus channel by default, its relay backlog on /metrics at 0', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const channel = await openCommandChannel({
      config: readConfig({}),
      db: fixture.db,
      consumerDeps: () => fixture.deps,
      metricsRegistry: registry,
    });
    expect(channel.kind).toBe('bus');
    expect(await registry.metrics()).toMatch(/^paystream_saga_command_backlog_rows 0$/m);
  });

  it('builds the RabbitMQ channel with its tables, and connects to nothing until started', async () => {
    const channel = await open({ SAGA_COMMAND_CHANNEL: 'rabbitmq', RABBITMQ_URL: 'amqp://nobody:nothing@127.0.0.1:1' });
    expect(channel.kind).toBe('rabbitmq');
    const tables = await fixture.db.query<{ name: string }>(
      `select table_name as name from information_schema.tables where table_name in ('saga_command_outbox', 'saga_command_handled') order by 1`,
    );
    expect(tables.rows.map((row) => row.name)).toEqual(['saga_command_handled', 'saga_command_outbox']);
    // Its relay's backlog is on /metrics: a command written and not relayed (nothing is started) counts.
    await channel.send(
      fixture.db,
      [
        {
          destination: 'loans.saga-commands.v1',
          key: 'saga-1',
          message: {
            commandId: 'c-1',
            sagaId: 'saga-1',
            sagaType: 'loan-approval',
            name: 'KYC_CHECK',
            kind: 'step',
            attempt: 1,
            data: {},
            replyTopic: 'loans.saga-replies.v1',
          },
        },
      ],
      { correlationId: 'saga-1' },
    );
    const exposition = await registry.metrics();
    expect(exposition).toMatch(/^paystream_saga_command_backlog_rows 1$/m);
    expect(exposition).toMatch(/^paystream_saga_command_oldest_age_seconds \d/m);
    await channel.close();
  });
});
