import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SqlRunner } from '../storage/database.ts';

/** The orchestrator's metrics. Labels are closed lists: saga types, step names and outcomes come from definitions. */
export interface SagaMetrics {
  /** Instances per type and status, read from the instances table at each scrape. */
  instances: Gauge<'saga_type' | 'status'>;
  /** From a step's (or compensation's) last send to its reply, in seconds. */
  stepDurationSeconds: Histogram<'saga_type' | 'step' | 'outcome'>;
  /** Compensations that ended, by outcome (`succeeded`, `failed` for a send that will be retried). */
  compensations: Counter<'saga_type' | 'step' | 'outcome'>;
  /** Steps and compensations whose deadline passed without a reply. */
  timeouts: Counter<'saga_type' | 'step'>;
  /** Instances that became STUCK: a compensation failed past its retries and waits for an operator. */
  stuck: Counter<'saga_type'>;
}

/** Seconds; a participant's reply comes back in milliseconds to minutes. */
export const sagaStepDurationBucketsSeconds: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createSagaMetrics(registry: Registry, db: Pick<SqlRunner, 'query'>): SagaMetrics {
  const registers = [registry];
  return {
    instances: new Gauge({
      name: 'paystream_saga_instances',
      help: 'Saga instances per type and status.',
      labelNames: ['saga_type', 'status'],
      registers,
      async collect() {
        const result = await db.query<{ saga_type: string; status: string; count: bigint }>(
          `select saga_type, status, count(*)::int8 as count from saga_instances group by saga_type, status`,
        );
        this.reset();
        for (const row of result.rows) this.set({ saga_type: row.saga_type, status: row.status }, Number(row.count));
      },
    }),
    stepDurationSeconds: new Histogram({
      name: 'paystream_saga_step_duration_seconds',
      help: "From a saga command's last send to its reply.",
      labelNames: ['saga_type', 'step', 'outcome'],
      buckets: [...sagaStepDurationBucketsSeconds],
      registers,
    }),
    compensations: new Counter({
      name: 'paystream_saga_compensations_total',
      help: 'Saga compensation replies by outcome.',
      labelNames: ['saga_type', 'step', 'outcome'],
      registers,
    }),
    timeouts: new Counter({
      name: 'paystream_saga_timeouts_total',
      help: 'Saga commands whose deadline passed without a reply.',
      labelNames: ['saga_type', 'step'],
      registers,
    }),
    stuck: new Counter({
      name: 'paystream_saga_stuck_total',
      help: 'Saga instances stopped on a compensation that failed past its retries.',
      labelNames: ['saga_type'],
      registers,
    }),
  };
}
