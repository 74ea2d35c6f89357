import pino from 'pino';
import { PgliteDatabase } from '../storage-pglite/pglite-database.ts';
import { migrate } from '../storage/migrate.ts';
import { PostgresLogBus } from '../messaging-postgres/postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from '../messaging-postgres/topic-admin.ts';
import { LogOutbox } from '../messaging-postgres/log-outbox.ts';
import { consumerMigrations } from '../consumer/migrations.ts';
import { deadLetterMigrations } from '../dead-letter/migrations.ts';
import { JsonCodec } from '../codec/json-codec.ts';
import { systemClock, uuidV7Ids } from '../clock/clock.ts';
import { EventEncoder, type EventCause, type NewEvent } from '../envelope/event-encoder.ts';
import { withFailureTopics } from '../topics/failure-topics.ts';
import { defineTopic } from '../topics/define-topic.ts';
import { ensureTopics } from '../topics/apply-topics.ts';
import type { ConsumerRunnerDeps } from '../consumer/consumer-runner.ts';
import type { EventBus, LogRecord, OutgoingMessage } from '../messaging/event-bus.ts';
import type { Database } from '../storage/database.ts';
import type { TopicAdmin } from '../topics/topic-admin.ts';
import { randomUUID } from 'node:crypto';

/**
 * The whole backbone on PGlite in memory, for unit tests of the consumer runner and friends: the
 * real log, real transactions, real outbox; nothing mocked.
 */
export async function embeddedFixture(): Promise<BackboneFixture> {
  const db = await PgliteDatabase.open();
  const bus = await PostgresLogBus.open({ db, timings: { standbyRetryMs: 50 } });
  await migrate(db, 'consumer', consumerMigrations);
  await migrate(db, 'dead-letter', deadLetterMigrations);
  const admin = new PostgresLogTopicAdmin(db, (topic) => bus.invalidateTopic(topic));
  const codec = new JsonCodec();
  const encoder = new EventEncoder(codec, uuidV7Ids, systemClock);
  const deps: ConsumerRunnerDeps = {
    db,
    bus,
    outbox: new LogOutbox(bus),
    codec,
    clock: systemClock,
    ids: uuidV7Ids,
    logger: pino({ level: 'silent' }),
  };
  return {
    engine: 'embedded',
    db,
    bus,
    deps,
    admin,
    topicName: (base: string) => `test.${base}.v1`,
    async createTopic(name: string, partitions = 3, delaysMs?: readonly number[]): Promise<void> {
      await ensureTopics(admin, withFailureTopics(defineTopic({ name, partitions }), delaysMs ? { retryDelaysMs: delaysMs } : {}));
    },
    async publish(events: NewEvent[], cause: EventCause = { correlationId: 'test-correlation' }): Promise<OutgoingMessage[]> {
      const messages = await Promise.all(events.map(async (event) => (await encoder.encode(event, cause)).message));
      await bus.publish(messages);
      return messages;
    },
    records: (topic: string) => readTopic(bus, topic),
    async close() {
      await bus.close();
      await db.close();
    },
  };
}

/** What the engine-independent backbone suites need from an engine. */
export interface BackboneFixture {
  engine: 'embedded' | 'kafka';
  db: Database;
  bus: EventBus;
  deps: ConsumerRunnerDeps;
  /** The engine's topic administration (partition counts, for the stream runner's co-partitioning check). */
  admin: TopicAdmin;
  /** A topic name unique to this fixture (Kafka topics outlive a test). */
  topicName(base: string): string;
  /** Declares `name` with its retry tiers and dead-letter topic. */
  createTopic(name: string, partitions?: number, delaysMs?: readonly number[]): Promise<void>;
  publish(events: NewEvent[], cause?: EventCause): Promise<OutgoingMessage[]>;
  /** Every record of `topic` published so far, in partition and offset order. */
  records(topic: string): Promise<LogRecord[]>;
  close(): Promise<void>;
}

/** Reads a topic from the start to its current end with a throw-away consumer group. */
export async function readTopic(bus: EventBus, topic: string): Promise<LogRecord[]> {
  const ends = await bus.endOffsets(topic);
  const remaining = new Set([...ends].filter(([, end]) => end > 0n).map(([partition]) => partition));
  const records: LogRecord[] = [];
  if (remaining.size === 0) return records;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const subscription = await bus.subscribe({
    groupId: `test-reader-${randomUUID()}`,
    topics: [topic],
    handleBatch: async (batch) => {
      const end = ends.get(batch.partition) ?? 0n;
      records.push(...batch.records.filter((record) => record.offset < end));
      if (batch.records[batch.records.length - 1]!.offset + 1n >= end) remaining.delete(batch.partition);
      if (remaining.size === 0) finished();
    },
  });
  await Promise.race([done, subscription.closed]);
  await subscription.close();
  return records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
}

/** Polls `condition` until it holds (tests only; the code under test is event-driven). */
export async function eventually(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
