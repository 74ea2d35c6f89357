import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { SqlRunner } from '../../backbone/storage/database.ts';
import type { Clock } from '../../backbone/clock/clock.ts';

export interface AuditMetrics {
  /** Events seen by the consumer: `appended` (staged for the chain) or `duplicate` (skipped). */
  events: Counter<'outcome'>;
  /** Records staged and not chained yet; read from the database on scrape. */
  pendingEntries: Gauge;
  /** Age of the oldest of them (0 when none): how far the chain trails the consumer. */
  chainLagSeconds: Gauge;
}

export interface AuditMetricsSource {
  db: SqlRunner;
  clock: Clock;
  logger: Logger;
}

/**
 * The audit service's metrics on `registry`. Created once per registry (prom-client refuses a second
 * registration): a second audit service on the same registry shares them, and the gauges read the
 * database of the first, which in one process is the same database.
 */
export function auditMetrics(registry: Registry, source: AuditMetricsSource): AuditMetrics {
  const existing = registry.getSingleMetric('paystream_audit_events_total');
  if (existing) {
    return {
      events: existing as Counter<'outcome'>,
      pendingEntries: registry.getSingleMetric('paystream_audit_pending_entries') as Gauge,
      chainLagSeconds: registry.getSingleMetric('paystream_audit_chain_lag_seconds') as Gauge,
    };
  }
  const registers = [registry];
  // prom-client calls `collect` per gauge, concurrently within a scrape: one shared query feeds both.
  let running: Promise<void> | undefined;
  const collect = (): Promise<void> => {
    running ??= readBacklog(source, metrics).finally(() => {
      running = undefined;
    });
    return running;
  };
  const metrics: AuditMetrics = {
    events: new Counter({
      name: 'paystream_audit_events_total',
      help: 'Events seen by the audit consumer: appended (staged for the chain), or a duplicate eventId skipped.',
      labelNames: ['outcome'],
      registers,
    }),
    pendingEntries: new Gauge({
      name: 'paystream_audit_pending_entries',
      help: 'Audit records staged by the consumer and not yet chained.',
      registers,
      collect,
    }),
    chainLagSeconds: new Gauge({
      name: 'paystream_audit_chain_lag_seconds',
      help: 'Age of the oldest audit record not yet chained; 0 when none.',
      registers,
      collect,
    }),
  };
  return metrics;
}

/** Never throws: a scrape while the database is down keeps the last values and logs why. */
async function readBacklog(source: AuditMetricsSource, metrics: AuditMetrics): Promise<void> {
  try {
    const result = await source.db.query<{ entries: bigint; oldest: Date | null }>(
      `select count(*)::int8 as entries, min(recorded_at) as oldest from audit_pending`,
    );
    const row = result.rows[0]!;
    metrics.pendingEntries.set(Number(row.entries));
    metrics.chainLagSeconds.set(row.oldest ? Math.max(0, source.clock.nowMs() - row.oldest.getTime()) / 1000 : 0);
  } catch (error) {
    source.logger.warn(
      { err: { name: (error as Error)?.name, message: (error as Error)?.message } },
      'could not read the audit backlog for metrics',
    );
  }
}
