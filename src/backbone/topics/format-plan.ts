import type { TopicSpec } from './topic-admin.ts';
import { topicConfigsOf, type ConfigChange, type TopicPlan } from './topic-plan.ts';

/**
 * The plan as `paystream topics plan` prints it, one line per change, warnings last:
 *
 *   + create payments.submitted.v1: 12 partitions, replication factor 3, min.insync.replicas=2, ...
 *   ~ add partitions payments.refunded.v1: 6 → 12
 *   ~ alter configs payments.settled.v1: retention.ms 604800000 (7d) → 2592000000 (30d)
 *   ! payments.settled.v1: declares replication factor 3 but has 1; ...
 *   Plan: 1 to create, 1 to add partitions, 1 to alter configs; 1 warning.
 */
export function formatPlan(plan: TopicPlan): string {
  const lines = plan.actions.map((action) => {
    switch (action.kind) {
      case 'create':
        return `+ create ${action.spec.name}: ${describeSpec(action.spec)}`;
      case 'addPartitions':
        return `~ add partitions ${action.topic}: ${action.partitionsFrom} → ${action.partitionsTo}`;
      case 'alterConfigs':
        return `~ alter configs ${action.topic}: ${action.changes.map(describeChange).join(', ')}`;
    }
  });
  lines.push(...plan.warnings.map((warning) => `! ${warning.topic}: ${warning.message}`));
  lines.push(summary(plan));
  return `${lines.join('\n')}\n`;
}

function summary(plan: TopicPlan): string {
  const count = (kind: string): number => plan.actions.filter((action) => action.kind === kind).length;
  const warnings = plan.warnings.length === 0 ? '' : `; ${plural(plan.warnings.length, 'warning')}`;
  if (plan.actions.length === 0) return `No changes: topics match their declarations${warnings}.`;
  return `Plan: ${count('create')} to create, ${count('addPartitions')} to add partitions, ${count('alterConfigs')} to alter configs${warnings}.`;
}

function describeSpec(spec: TopicSpec): string {
  const configs = Object.entries(topicConfigsOf(spec)).map(([key, value]) => `${key}=${withDuration(key, value)}`);
  return [`${plural(spec.partitions, 'partition')}`, `replication factor ${spec.replicationFactor}`, ...configs].join(', ');
}

function describeChange(change: ConfigChange): string {
  const from = change.from === undefined ? '(broker default)' : withDuration(change.key, change.from);
  return `${change.key} ${from} → ${withDuration(change.key, change.to)}`;
}

/** `604800000 (7d)`: operators read days, Kafka wants milliseconds. */
function withDuration(key: string, value: string): string {
  if (key !== 'retention.ms') return value;
  const ms = Number(value);
  if (ms === -1) return `${value} (forever)`;
  for (const [unit, unitMs] of durationUnits) {
    if (Number.isSafeInteger(ms) && ms > 0 && ms % unitMs === 0) return `${value} (${ms / unitMs}${unit})`;
  }
  return value;
}

const durationUnits: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
