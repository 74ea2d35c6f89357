/**
 * The one stage the backbone benchmark measures, on either engine: consume an input event, write
 * one effect row, emit one output event through the outbox, all in the consumer runner's one
 * database transaction per batch (with the runner's own writes: processed event ids, position).
 * Publishing is the relay's job on Kafka (outbox table → produce) and the commit itself on the
 * embedded engine (the log is the outbox).
 */
import pino from 'pino';
import { ConsumerRunner } from '../../src/backbone/consumer/consumer-runner.ts';
import { consumerMigrations } from '../../src/backbone/consumer/migrations.ts';
import { JsonCodec } from '../../src/backbone/codec/json-codec.ts';
import { systemClock, uuidV7Ids } from '../../src/backbone/clock/clock.ts';
import { createBackboneMetrics, createMetricsRegistry } from '../../src/backbone/observability/metrics.ts';
import { migrate, type Migration } from '../../src/backbone/storage/migrate.ts';
import type { Database, SqlRunner } from '../../src/backbone/storage/database.ts';
import type { EventBus } from '../../src/backbone/messaging/event-bus.ts';
import type { Outbox } from '../../src/backbone/outbox/outbox.ts';
import type { EventHandler } from '../../src/backbone/consumer/handler.ts';
import type { StageCounters } from './instruments.ts';
import { epochMs } from '../support/latency.ts';

/** What the stage of one phase consumes and produces, and how it is tuned. */
export interface StageSpec {
  /** The consumer group, also the consumer name its positions and processed ids are stored under. */
  group: string;
  input: string;
  output: string;
  /**
   * ConsumerRunner's `maxBatchRecords`. 1 (the naive phase) also turns off joining partitions'
   * batches (`maxPartitionsPerTransaction` 1): one transaction and one offset commit per event.
   */
  maxBatchRecords: number;
  /**
   * `per-event`: the handler inserts its effect row with one statement, as a service's handler
   * does with today's handler API. `per-batch`: the handler only collects its row, and one
   * multi-row insert writes the batch's rows in the same transaction, just before the runner
   * writes the outbox. That is what a batch-aware handler API would allow; see BENCHMARKS.md.
   */
  effects: 'per-event' | 'per-batch';
}

/** The input event: a payment-sized record carrying the driver's publish time, for end-to-end latency. */
export interface BenchInput {
  seq: number;
  account: string;
  amountMinor: bigint;
  currency: string;
  /** `epochMs()` in the driver when the event was handed to `publish`. */
  sentAtMs: number;
}

export interface BenchOutput extends BenchInput {
  /** `epochMs()` in the stage when its handler ran: splits the latency at the stage. */
  handledAtMs: number;
}

export const inputEventType = 'bench.payment-requested';
export const outputEventType = 'bench.payment-recorded';

const effectsMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'bench effects',
    sql: `
      create table bench_effects (
        event_id text primary key,
        consumer text not null,
        seq int not null,
        account text not null,
        amount_minor bigint not null,
        currency text not null,
        recorded_at timestamptz not null default now()
      );
    `,
  },
];

/** The runner's tables and the stage's business table (the Kafka engine adds the outbox). */
export async function migrateStage(db: Database): Promise<void> {
  await migrate(db, 'consumer', consumerMigrations);
  await migrate(db, 'bench-effects', effectsMigrations);
}

/**
 * The consumer runner of the stage, wired as src/runtime/backbone.ts wires a service's: the
 * shipped runner, metrics included, blocking retries, the JSON codec.
 */
export function createStageRunner(
  deps: { db: Database; bus: EventBus; outbox: Outbox },
  spec: StageSpec,
  counters: StageCounters,
): ConsumerRunner {
  const effects = spec.effects === 'per-batch' ? new BatchedEffects(spec.group) : undefined;
  return new ConsumerRunner(
    {
      ...deps,
      outbox: effects ? effects.flushingBefore(deps.outbox) : deps.outbox,
      codec: new JsonCodec(),
      clock: systemClock,
      ids: uuidV7Ids,
      logger: pino({ level: 'warn' }, pino.destination(2)),
      metrics: createBackboneMetrics(createMetricsRegistry()),
    },
    {
      name: spec.group,
      topics: [spec.input],
      maxBatchRecords: spec.maxBatchRecords,
      ...(spec.maxBatchRecords === 1 ? { maxPartitionsPerTransaction: 1 } : {}),
      retry: { mode: 'blocking', delaysMs: [100, 500, 1000] },
      handler: stageHandler(spec.group, spec.output, counters, effects),
    },
  );
}

interface EffectRow {
  eventId: string;
  input: BenchInput;
}

function stageHandler(consumer: string, output: string, counters: StageCounters, batched: BatchedEffects | undefined): EventHandler {
  return async (event, { tx, emit }) => {
    const input = event.payload as BenchInput;
    const row = { eventId: event.envelope.eventId, input };
    if (batched) batched.collect(tx, row);
    else await insertEffects(tx, consumer, [row]);
    const recorded: BenchOutput = { ...input, handledAtMs: epochMs() };
    emit({ topic: output, eventType: outputEventType, key: event.envelope.key, payload: recorded });
    counters.handled++;
  };
}

/** `per-batch`: rows collected per transaction, written by one insert when the runner writes the outbox. */
class BatchedEffects {
  readonly #consumer: string;
  readonly #rows = new WeakMap<SqlRunner, EffectRow[]>();

  constructor(consumer: string) {
    this.#consumer = consumer;
  }

  collect(tx: SqlRunner, row: EffectRow): void {
    const rows = this.#rows.get(tx) ?? [];
    this.#rows.set(tx, rows);
    rows.push(row);
  }

  /** The runner writes the outbox once per transaction, after the last handler: the rows are complete then. */
  flushingBefore(outbox: Outbox): Outbox {
    return {
      write: async (tx, messages) => {
        const rows = this.#rows.get(tx) ?? [];
        this.#rows.delete(tx);
        await insertEffects(tx, this.#consumer, rows);
        await outbox.write(tx, messages);
      },
    };
  }
}

async function insertEffects(tx: SqlRunner, consumer: string, rows: readonly EffectRow[]): Promise<void> {
  if (rows.length === 0) return;
  if (rows.length === 1) {
    const [{ eventId, input }] = rows as [EffectRow];
    await tx.query(`insert into bench_effects (event_id, consumer, seq, account, amount_minor, currency) values ($1, $2, $3, $4, $5, $6)`, [
      eventId,
      consumer,
      input.seq,
      input.account,
      input.amountMinor,
      input.currency,
    ]);
    return;
  }
  await tx.query(
    `insert into bench_effects (event_id, consumer, seq, account, amount_minor, currency)
       select event_id, $1, seq, account, amount_minor, currency
         from unnest($2::text[], $3::int[], $4::text[], $5::int8[], $6::text[]) as t (event_id, seq, account, amount_minor, currency)`,
    [
      consumer,
      rows.map((r) => r.eventId),
      rows.map((r) => r.input.seq),
      rows.map((r) => r.input.account),
      rows.map((r) => r.input.amountMinor.toString()),
      rows.map((r) => r.input.currency),
    ],
  );
}
