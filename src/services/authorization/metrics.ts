import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SqlRunner } from '../../backbone/storage/database.ts';
import { createStreamMetrics } from '../../backbone/stream/index.ts';
import type { AuthorizationHooks } from './domain/authorization-processor.ts';
import { authorizationProcessorName } from './handlers.ts';

/** Seconds from a request's arrival to its decision: on state in milliseconds, standing in at the grace (3 s). */
export const authorizationWaitBucketsSeconds: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 3.5, 5, 10];

/**
 * The authorization's metrics: decisions by basis and reason and the wait (counted by the
 * processor's hooks as it decides; a batch that rolls back and runs again counts twice, which a
 * rate over minutes does not notice), requests waiting (read from the processor's state at each
 * scrape), and the stream runner's state rows and bytes. Labels are closed lists.
 */
export function authorizationMetrics(registry: Registry, db: Pick<SqlRunner, 'query'>): AuthorizationHooks {
  const registers = [registry];
  // Built once per registry: the services may be assembled twice in a process (the topic catalog).
  const existing = registry.getSingleMetric('paystream_authorization_decisions_total') as
    Counter<'basis' | 'decision' | 'reason'> | undefined;
  if (existing) return hooksOf(existing, registry.getSingleMetric('paystream_authorization_wait_seconds') as Histogram<'basis'>);
  // The stream gauges are the backbone's, one set per registry whatever the processors.
  if (!registry.getSingleMetric('paystream_stream_state_rows')) createStreamMetrics(registry, db);
  const decisions = new Counter({
    name: 'paystream_authorization_decisions_total',
    help: 'Authorization decisions by basis (STATE, STAND_IN, OVERRIDE) and reason (none when approved).',
    labelNames: ['basis', 'decision', 'reason'],
    registers,
  });
  const waitSeconds = new Histogram({
    name: 'paystream_authorization_wait_seconds',
    help: "From an authorization request's arrival to its decision.",
    labelNames: ['basis'],
    buckets: [...authorizationWaitBucketsSeconds],
    registers,
  });
  new Gauge({
    name: 'paystream_authorization_pending_requests',
    help: 'Authorization requests waiting for their state (or their grace) to be decided.',
    registers,
    async collect() {
      // Only accounts with a head waiting have a deadline armed: the scan is of those, not of every account.
      const result = await db.query<{ pending: bigint | null }>(
        `select sum(jsonb_array_length(s.value::jsonb -> 'pending'))::int8 as pending
           from stream_timers t join stream_state s
             on s.processor = t.processor and s.store = 'accounts' and s.partition = t.partition and s.key = t.key
          where t.processor = $1 and t.name = 'head-deadline'`,
        [authorizationProcessorName],
      );
      this.set(Number(result.rows[0]?.pending ?? 0n));
    },
  });
  return hooksOf(decisions, waitSeconds);
}

function hooksOf(decisions: Counter<'basis' | 'decision' | 'reason'>, waitSeconds: Histogram<'basis'>): AuthorizationHooks {
  return {
    decided(decision, waitMs) {
      decisions.inc({ basis: decision.basis, decision: decision.decision, reason: decision.reason ?? 'none' });
      if (waitMs !== undefined) waitSeconds.observe({ basis: decision.basis }, waitMs / 1000);
    },
  };
}
