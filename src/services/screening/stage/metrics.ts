import { Histogram, type Registry } from 'prom-client';

/** A screening decision's outcome: the verdicts, and UNAVAILABLE (lists not loaded after the last retry). */
export type ScreeningLatencyOutcome = 'PASS' | 'HOLD' | 'REJECT' | 'BLOCK' | 'UNAVAILABLE';

/**
 * `paystream_screening_latency_seconds{outcome}`: per screened payment, from its validation (the
 * `occurredAt` of its PaymentValidated event) to its screening decision being committed. It is
 * the AML delay a payment sees: the wait behind other payments (lag), the retries while the lists
 * load, and the screening itself. The alert `PaystreamScreeningSlow` fires at a p99 over 2 s.
 */
export interface ScreeningMetrics {
  observe(outcome: ScreeningLatencyOutcome, seconds: number): void;
}

export function screeningMetrics(registry: Registry): ScreeningMetrics {
  const name = 'paystream_screening_latency_seconds';
  // prom-client refuses a second registration of a name: services built twice on one registry share.
  const histogram =
    (registry.getSingleMetric(name) as Histogram<'outcome'> | undefined) ??
    new Histogram({
      name,
      help: "From a payment's validation to its screening decision (lag, retries and screening), per outcome.",
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    });
  return { observe: (outcome, seconds) => histogram.observe({ outcome }, Math.max(0, seconds)) };
}
