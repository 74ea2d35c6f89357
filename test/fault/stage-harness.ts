import type { ChildProcess } from 'node:child_process';
import { exitOf, startChild, stopChildren } from './child-processes.ts';
import { fileURLToPath } from 'node:url';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import { KafkaEventBus } from '../../src/backbone/messaging-kafka/kafka-event-bus.ts';
import { KafkaTopicAdmin } from '../../src/backbone/messaging-kafka/kafka-topic-admin.ts';
import { PostgresLogBus } from '../../src/backbone/messaging-postgres/postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from '../../src/backbone/messaging-postgres/topic-admin.ts';
import { EventEncoder } from '../../src/backbone/envelope/event-encoder.ts';
import { JsonCodec } from '../../src/backbone/codec/json-codec.ts';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import { defineTopic } from '../../src/backbone/topics/define-topic.ts';
import { ensureTopics } from '../../src/backbone/topics/apply-topics.ts';
import { withFailureTopics } from '../../src/backbone/topics/failure-topics.ts';
import { capReplication } from '../../src/backbone/topics/define-topic.ts';
import type { EventBus, LogRecord, OutgoingMessage } from '../../src/backbone/messaging/event-bus.ts';
import type { TopicAdmin } from '../../src/backbone/topics/topic-admin.ts';
import { expect } from 'vitest';

export type Engine = 'kafka' | 'postgres';

const stageScript = fileURLToPath(new URL('./stage-process.ts', import.meta.url));

/** A flow of one stage under test: its topics, its database, and the stage processes. */
export class StageHarness {
  readonly engine: Engine;
  readonly databaseUrl: string;
  readonly brokers: string[];
  readonly input: string;
  readonly output: string;
  readonly group: string;
  readonly db: PostgresDatabase;
  readonly bus: EventBus;
  readonly #admin: TopicAdmin;
  readonly #children = new Set<ChildProcess>();

  private constructor(
    engine: Engine,
    databaseUrl: string,
    brokers: string[],
    suffix: string,
    db: PostgresDatabase,
    bus: EventBus,
    admin: TopicAdmin,
  ) {
    this.engine = engine;
    this.databaseUrl = databaseUrl;
    this.brokers = brokers;
    this.input = `fault.input-${suffix}.v1`;
    this.output = `fault.output-${suffix}.v1`;
    this.group = `fault-stage-${suffix}`;
    this.db = db;
    this.bus = bus;
    this.#admin = admin;
  }

  static async open(engine: Engine, databaseUrl: string, brokers: string[], suffix: string, replicationFactor = 1): Promise<StageHarness> {
    const db = new PostgresDatabase({ connectionString: databaseUrl, poolSize: 4 });
    if (engine === 'kafka') {
      const harness = new StageHarness(
        engine,
        databaseUrl,
        brokers,
        suffix,
        db,
        new KafkaEventBus({ bootstrapBrokers: brokers, clientId: 'fault-harness' }),
        new KafkaTopicAdmin({ bootstrapBrokers: brokers }),
      );
      await harness.#createTopics(replicationFactor);
      return harness;
    }
    const bus = await PostgresLogBus.open({ db, timings: { standbyRetryMs: 100 } });
    const harness = new StageHarness(engine, databaseUrl, brokers, suffix, db, bus, new PostgresLogTopicAdmin(db));
    await harness.#createTopics(1);
    return harness;
  }

  async #createTopics(replicationFactor: number): Promise<void> {
    const specs = [defineTopic({ name: this.input, partitions: 4 }), defineTopic({ name: this.output, partitions: 4 })].flatMap((spec) =>
      withFailureTopics(spec, { retryDelaysMs: [] }),
    );
    await ensureTopics(this.#admin, capReplication(specs, replicationFactor));
  }

  /** Publishes `count` input events, keyed over 50 accounts, with seq firstSeq..firstSeq+count-1. */
  async publishInput(count: number, firstSeq = 0): Promise<void> {
    const encoder = new EventEncoder(new JsonCodec(), uuidV7Ids, systemClock);
    const endSeq = firstSeq + count;
    for (let start = firstSeq; start < endSeq; start += 500) {
      const messages = [];
      for (let seq = start; seq < Math.min(endSeq, start + 500); seq++) {
        messages.push(
          (
            await encoder.encode(
              { topic: this.input, eventType: 'fault.input', key: `account-${seq % 50}`, payload: { seq } },
              { correlationId: `flow-${seq}` },
            )
          ).message,
        );
      }
      await publishUntilAccepted(this.bus, messages);
    }
  }

  /** Starts a stage process; resolves once it joined its group (or died trying). */
  async startStage(crash: { point: string; after: number } | undefined, maxBatch = 50): Promise<ChildProcess> {
    return startChild(
      stageScript,
      {
        ENGINE: this.engine,
        DATABASE_URL: this.databaseUrl,
        KAFKA_BROKERS: this.brokers.join(','),
        INPUT: this.input,
        OUTPUT: this.output,
        GROUP: this.group,
        CRASH_POINT: crash?.point ?? 'none',
        CRASH_AFTER: String(crash?.after ?? 0),
        MAX_BATCH: String(maxBatch),
      },
      this.#children,
    );
  }

  /** Waits for a child to exit; returns the signal that ended it (SIGKILL for a self-inflicted crash). */
  async exitOf(child: ChildProcess, timeoutMs: number): Promise<NodeJS.Signals | number | 'timeout'> {
    return exitOf(child, timeoutMs);
  }

  async stopAll(): Promise<void> {
    await stopChildren(this.#children);
  }

  async effects(): Promise<{ total: number; distinctSeqs: number; duplicated: number[] }> {
    const { rows } = await this.db.query<{ seq: number; n: bigint }>(`select seq, count(*)::int8 as n from effects group by seq`);
    return {
      total: rows.reduce((sum, row) => sum + Number(row.n), 0),
      distinctSeqs: rows.length,
      duplicated: rows.filter((row) => row.n > 1n).map((row) => row.seq),
    };
  }

  async outboxRows(): Promise<number> {
    if (this.engine !== 'kafka') return 0;
    const { rows } = await this.db.query<{ n: bigint }>(`select count(*)::int8 as n from outbox`);
    return Number(rows[0]!.n);
  }

  /** Reads the output topic from the start until `seqCount` distinct seqs were seen. */
  async readOutput(seqCount: number, timeoutMs = 60_000): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    const seqs = new Set<number>();
    let done!: () => void;
    const complete = new Promise<void>((resolve) => (done = resolve));
    const subscription = await this.bus.subscribe({
      groupId: `${this.group}-verify-${Date.now()}`,
      topics: [this.output],
      handleBatch: async (batch) => {
        for (const record of batch.records) {
          records.push(record);
          seqs.add((JSON.parse(record.value!.toString()) as { seq: number }).seq);
        }
        if (seqs.size >= seqCount) done();
      },
    });
    const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([complete, timer]);
    // Give duplicates published after the last new seq a moment to arrive, so they are counted.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await subscription.close();
    return records;
  }

  async close(): Promise<void> {
    await this.stopAll();
    await this.bus.close();
    await this.db.close();
  }
}

/** Polls until `condition` holds. */
export async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Waits for the stage to finish `eventCount` inputs, then checks every effect was applied exactly
 * once and every output was emitted by exactly one committed transaction (one event id per input;
 * the same id twice on the wire is a republish, which consumers drop).
 */
export async function assertExactlyOnce(h: StageHarness, eventCount: number): Promise<void> {
  await waitFor(
    async () => (await h.effects()).distinctSeqs === eventCount && (await h.outboxRows()) === 0,
    `all ${eventCount} effects and an empty outbox`,
    180_000,
  );
  const effects = await h.effects();
  expect(effects.duplicated, 'events whose effect was applied twice').toEqual([]);
  expect(effects.total).toBe(eventCount);
  const outputs = await h.readOutput(eventCount);
  const eventIdsBySeq = new Map<number, Set<string>>();
  for (const record of outputs) {
    const seq = seqOf(record);
    const ids = eventIdsBySeq.get(seq) ?? new Set<string>();
    ids.add(record.headers['event-id']!.toString());
    eventIdsBySeq.set(seq, ids);
  }
  expect(eventIdsBySeq.size, 'every input produced an output').toBe(eventCount);
  const emittedTwice = [...eventIdsBySeq].filter(([, ids]) => ids.size > 1).map(([seq]) => seq);
  expect(emittedTwice, 'inputs whose output was emitted by two committed transactions').toEqual([]);
}

function seqOf(record: LogRecord): number {
  return (JSON.parse(record.value!.toString()) as { seq: number }).seq;
}

/**
 * The upstream producer of the fault tests behaves like the outbox relay: a publish that fails
 * while a broker is down or a leader is being elected is sent again, with the same event ids (the
 * consumers drop what arrives twice). Without this, the producer's own retries (4) can run out
 * during a failover, and the test fails on its load generator instead of on the system under test.
 */
async function publishUntilAccepted(
  bus: { publish(messages: readonly OutgoingMessage[]): Promise<void> },
  messages: readonly OutgoingMessage[],
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await bus.publish(messages);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
