/**
 * Proves the test engines work before anything else relies on them: the Kafka broker answers,
 * creates a topic, and carries a message from a producer to a consumer group; a test database is
 * created fresh, is usable, and is gone after `drop()`.
 */
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import type { Message } from '@platformatic/kafka';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/index.ts';
import { connect } from 'amqplib';
import {
  createTestDatabase,
  describeWithKafka,
  describeWithPostgres,
  describeWithRabbitMQ,
  kafkaBrokers,
  postgresUrl,
  rabbitmqUrl,
  uniqueName,
} from './engines.ts';
import { withClient } from './test-postgres.ts';

describeWithKafka('the Kafka test broker', () => {
  const topic = uniqueName('test.engines.v1');
  let admin: Admin;

  beforeAll(() => {
    admin = new Admin({ clientId: 'engines-spec', bootstrapBrokers: kafkaBrokers() });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.close();
  });

  it('answers a metadata request', async () => {
    const metadata = await admin.metadata({ topics: [] });
    expect(metadata.brokers.size).toBeGreaterThanOrEqual(1);
    expect(metadata.id).not.toBe('');
  });

  it('creates a topic, and a consumer group reads what a producer wrote', async () => {
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: -1 });

    const producer = new Producer({
      clientId: 'engines-spec-producer',
      bootstrapBrokers: kafkaBrokers(),
      serializers: stringSerializers,
      idempotent: true,
    });
    try {
      await producer.send({ messages: [{ topic, key: 'account-1', value: 'hello', headers: { traceparent: 't-1' } }] });
    } finally {
      await producer.close();
    }

    const consumer = new Consumer({
      clientId: 'engines-spec-consumer',
      groupId: uniqueName('engines-spec'),
      bootstrapBrokers: kafkaBrokers(),
      deserializers: stringDeserializers,
    });
    try {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
      const message = await new Promise<Message<string, string, string, string>>((resolve) => stream.once('data', resolve));
      await stream.close();
      expect(message?.key).toBe('account-1');
      expect(message?.value).toBe('hello');
      expect(message?.headers.get('traceparent')).toBe('t-1');
    } finally {
      await consumer.close(true);
    }
  });
});

describeWithPostgres('a PostgreSQL test database', () => {
  it('is fresh, usable, and gone after drop()', async () => {
    const database = await createTestDatabase('engines spec');
    expect(database.name).toMatch(/^ps_test_engines_spec_[0-9a-f]{8}$/);
    const storage = new PostgresDatabase({ connectionString: database.url, poolSize: 2 });
    try {
      const before = await storage.query<{ count: bigint }>(`select count(*) as count from pg_tables where schemaname = 'public'`);
      expect(before.rows[0]?.count).toBe(0n);
      await storage.exec('create table note (id int primary key, body text not null)');
      await storage.query('insert into note values ($1, $2)', [1, 'kept']);
      const { rows } = await storage.query<{ body: string }>('select body from note where id = 1');
      expect(rows).toEqual([{ body: 'kept' }]);
    } finally {
      await storage.close();
    }

    await database.drop();
    await database.drop();
    const remaining = await withClient(postgresUrl(), (client) =>
      client.query('select 1 from pg_database where datname = $1', [database.name]),
    );
    expect(remaining.rowCount).toBe(0);
  });

  it('gives every call a database of its own', async () => {
    const [first, second] = await Promise.all([createTestDatabase('engines'), createTestDatabase('engines')]);
    try {
      expect(first.name).not.toBe(second.name);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
  });
});

describeWithRabbitMQ('the RabbitMQ test broker', () => {
  it('takes a persistent message into a quorum queue with a publisher confirm, and gives it back', async () => {
    const queue = uniqueName('test.engines');
    const connection = await connect(rabbitmqUrl());
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      channel.sendToQueue(queue, Buffer.from('hello'), { persistent: true, headers: { traceparent: 't-1' } });
      await channel.waitForConfirms();
      // Confirmed means the queue has it: no waiting.
      const message = await channel.get(queue, { noAck: true });
      expect(message && message.content.toString()).toBe('hello');
      expect(message && message.properties.headers?.traceparent).toBe('t-1');
      await channel.deleteQueue(queue);
    } finally {
      await connection.close();
    }
  });
});
