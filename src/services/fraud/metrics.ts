import { Counter, type Registry } from 'prom-client';

/**
 * What an operator tunes the rules by: how many payments each decision gets, and how often each
 * rule triggers. Counted when the handler runs, so a batch rolled back and re-run counts twice;
 * read them as rates, not as a ledger.
 */
export interface FraudMetrics {
  decisions: Counter<'decision'>;
  ruleHits: Counter<'rule'>;
}

export function fraudMetrics(registry: Registry): FraudMetrics {
  return {
    decisions: counter(
      registry,
      'paystream_fraud_decisions_total',
      'Payments scored by fraud scoring, by decision (PASS, REVIEW).',
      'decision',
    ),
    ruleHits: counter(registry, 'paystream_fraud_rule_hits_total', 'Fraud rules that triggered on a scored payment, by rule.', 'rule'),
  };
}

function counter<Label extends string>(registry: Registry, name: string, help: string, label: Label): Counter<Label> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<Label>;
  return new Counter({ name, help, labelNames: [label], registers: [registry] });
}
