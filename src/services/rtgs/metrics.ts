import { Counter, Gauge, type Registry } from 'prom-client';

/** The gateway's metrics; `outcome`, `state` and `via` take values from closed lists. */
export interface RtgsMetrics {
  /** pacs.008 sent and taken by the network: accepted, duplicate, accepted-after-timeout. */
  submissions: Counter<'outcome'>;
  /** Final answers applied: settled or rejected, by callback or status query. */
  decisions: Counter<'state' | 'via'>;
  /** 0 closed, 1 half-open, 2 open. */
  circuitState: Gauge;
  /** Submissions without a final answer yet (funds reserved, not settled). */
  awaitingAnswer: Gauge;
  /** Age of the oldest of them; alert when it passes the overdue threshold. */
  oldestAwaitingAnswerSeconds: Gauge;
}

export function createRtgsMetrics(registry: Registry): RtgsMetrics {
  const registers = [registry];
  return {
    submissions: new Counter({
      name: 'paystream_rtgs_submissions_total',
      help: 'pacs.008 messages sent to the RTGS network, by outcome (taken, duplicate, accepted-after-timeout; refused; failed: left to the status chaser).',
      labelNames: ['outcome'],
      registers,
    }),
    decisions: new Counter({
      name: 'paystream_rtgs_decisions_total',
      help: 'Final pacs.002 answers applied, by state and by the path that delivered them first.',
      labelNames: ['state', 'via'],
      registers,
    }),
    circuitState: new Gauge({
      name: 'paystream_rtgs_circuit_state',
      help: 'Circuit breaker towards the RTGS network: 0 closed, 1 half-open, 2 open.',
      registers,
    }),
    awaitingAnswer: new Gauge({ name: 'paystream_rtgs_awaiting_answer', help: 'RTGS submissions without a final answer.', registers }),
    oldestAwaitingAnswerSeconds: new Gauge({
      name: 'paystream_rtgs_oldest_awaiting_answer_seconds',
      help: 'Age of the oldest RTGS submission without a final answer.',
      registers,
    }),
  };
}
