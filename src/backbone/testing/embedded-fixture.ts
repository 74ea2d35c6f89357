import pino from 'pino';
import { PgliteDatabase } from '../storage-pglite/pglite-database.ts';
import { migrate } from '../storage/migrate.ts';
import { PostgresLogBus } from '../messaging-postgres/postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from '../messaging-postgres/topic-admin.ts';
import { LogOutbox } from '../messaging-postgres/log-outbox.ts';
import { consumerMigrations } from '../consumer/schema.ts';
import { JsonCodec } from '../codec/json-codec.ts';
import { systemClock, uuidV7Ids } from '../clock/clock.ts';
import { EventEncoder, type EventCause, type NewEvent } from '../envelope/event-encoder.ts';
import { withFailureTopics } from '../topics/failure-topics.ts';
import { defineTopic } from '../topics/define-topic.ts';
import { ensureTopics } from '../topics/apply-topics.ts';
import type { ConsumerRunnerDeps } from '../consumer/consumer-runner.ts';
import type { LogRecord } from '../messaging/event-bus.ts';

/**
 * The whole backbone on PGlite in memory, for unit tests of the consumer runner and friends: the
 * real log, real transactions, real outbox; nothing mocked.
 */
export async function embeddedFixture() {
  const db = await PgliteDatabase.open();
  const bus = await PostgresLogBus.open({ db, timings: { standbyRetryMs: 50 } });
  await migrate(db, 'consumer', consumerMigrations);
  const admin = new PostgresLogTopicAdmin(db, (topic) => bus.invalidateTopic(topic));
  const codec = new JsonCodec();
  const encoder = new EventEncoder(codec, uuidV7Ids, systemClock);
  const deps: ConsumerRunnerDeps = { db, bus, outbox: new LogOutbox(bus), codec, clock: systemClock, ids: uuidV7Ids, logger: pino({ level: 'silent' }) };
  return {
    db,
    bus,
    deps,
    /** Declares `name` with its retry tiers and dead-letter topic. */
    async createTopic(name: string, partitions = 3, delaysMs?: readonly number[]) {
      await ensureTopics(admin, withFailureTopics(defineTopic({ name, partitions }), delaysMs ? { retryDelaysMs: delaysMs } : {}));
    },
    async publish(events: NewEvent[], cause: EventCause = { correlationId: 'test-correlation' }) {
      const messages = await Promise.all(events.map(async (event) => (await encoder.encode(event, cause)).message));
      await bus.publish(messages);
      return messages;
    },
    /** Every record of `topic` so far, in partition and offset order. */
    async records(topic: string): Promise<LogRecord[]> {
      const partitions = await bus.endOffsets(topic);
      const all: LogRecord[] = [];
      for (const [partition] of [...partitions].sort((a, b) => a[0] - b[0])) {
        const rows = await db.query<{ offset: bigint; key: Buffer; value: Buffer | null; headers: Record<string, string> }>(
          `select "offset", key, value, headers from log_records where topic = $1 and partition = $2 order by "offset"`,
          [topic, partition],
        );
        for (const row of rows.rows) {
          const headers = Object.fromEntries(Object.entries(row.headers).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
          all.push({ topic, partition, offset: row.offset, key: row.key, value: row.value, headers, timestampMs: 0 });
        }
      }
      return all;
    },
    async close() {
      await bus.close();
      await db.close();
    },
  };
}

export type EmbeddedFixture = Awaited<ReturnType<typeof embeddedFixture>>;

/** Polls `condition` until it holds (tests only; the code under test is event-driven). */
export async function eventually(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
