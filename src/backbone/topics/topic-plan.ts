import { BackboneError, ErrorCodes } from '../errors.ts';
import { assertValidTopicSpec } from './define-topic.ts';
import type { TopicDescription, TopicSpec } from './topic-admin.ts';

/** A change the planner would make. None of them deletes a topic, a partition or a record count. */
export type TopicAction =
  | { kind: 'create'; spec: TopicSpec }
  | { kind: 'addPartitions'; topic: string; partitionsFrom: number; partitionsTo: number }
  | { kind: 'alterConfigs'; topic: string; changes: ConfigChange[] };

export interface ConfigChange {
  key: TopicConfigKey;
  /** `undefined` when the engine reports no topic-level value (the broker default applies). */
  from: string | undefined;
  to: string;
}

/** Something a human must look at: a difference the planner will not fix, or a risky change it makes. */
export interface TopicWarning {
  topic: string;
  message: string;
}

export interface TopicPlan {
  actions: TopicAction[];
  warnings: TopicWarning[];
}

/** The topic-level configs the planner owns, spelled as Kafka spells them. Others are left alone. */
export type TopicConfigKey = 'retention.ms' | 'cleanup.policy' | 'compression.type' | 'min.insync.replicas';

export function topicConfigsOf(spec: TopicSpec): Record<TopicConfigKey, string> {
  return {
    'retention.ms': String(spec.retentionMs),
    'cleanup.policy': spec.cleanupPolicy,
    'compression.type': spec.compression,
    'min.insync.replicas': String(spec.minInsyncReplicas),
  };
}

/**
 * What it takes to bring `existing` to `declared`. Pure. Never destructive: a topic with more
 * partitions than declared keeps them, a replication factor that differs is reported, not changed
 * (that is a partition reassignment, an operator's job). Topics that exist but are not declared are
 * ignored. Applying the plan and planning again yields no actions.
 *
 * Throws INVALID_OPTIONS on an invalid spec or a name declared twice.
 */
export function planTopics(declared: readonly TopicSpec[], existing: ReadonlyMap<string, TopicDescription>): TopicPlan {
  assertDeclarations(declared);
  const plan: TopicPlan = { actions: [], warnings: [] };
  for (const spec of declared) {
    const current = existing.get(spec.name);
    if (current === undefined) plan.actions.push({ kind: 'create', spec });
    else planExisting(spec, current, plan);
  }
  return plan;
}

/** True when applying the plan would change nothing (warnings may remain). */
export function isEmptyPlan(plan: TopicPlan): boolean {
  return plan.actions.length === 0;
}

function planExisting(spec: TopicSpec, current: TopicDescription, plan: TopicPlan): void {
  const warn = (message: string): void => void plan.warnings.push({ topic: spec.name, message });

  if (spec.partitions > current.partitions) {
    plan.actions.push({ kind: 'addPartitions', topic: spec.name, partitionsFrom: current.partitions, partitionsTo: spec.partitions });
    warn(
      `partitions rise from ${current.partitions} to ${spec.partitions}: keys move to other partitions, so records of one key ` +
        'written before and after may be consumed out of order; drain the consumers first',
    );
  } else if (spec.partitions < current.partitions) {
    warn(
      `declares ${spec.partitions} partitions but has ${current.partitions}; Kafka cannot remove partitions, the topic keeps ${current.partitions}`,
    );
  }
  if (spec.replicationFactor !== current.replicationFactor) {
    warn(
      `declares replication factor ${spec.replicationFactor} but has ${current.replicationFactor}; ` +
        'not changed here (reassign partitions with kafka-reassign-partitions.sh)',
    );
  }

  const changes: ConfigChange[] = [];
  for (const [key, to] of Object.entries(topicConfigsOf(spec)) as Array<[TopicConfigKey, string]>) {
    const from = current.configs[key];
    if (from !== undefined && sameConfigValue(key, from, to)) continue;
    // The replicas that exist are what count: asking for more in-sync replicas than the topic has
    // would make every acks=all write fail.
    if (key === 'min.insync.replicas' && spec.minInsyncReplicas > current.replicationFactor) {
      warn(`min.insync.replicas ${to} left at ${from ?? 'the broker default'}: the topic has only ${current.replicationFactor} replica(s)`);
      continue;
    }
    changes.push({ key, from, to });
    warnAboutRisk(key, from, to, warn);
  }
  if (changes.length > 0) plan.actions.push({ kind: 'alterConfigs', topic: spec.name, changes });
}

/** Config changes that lose data are made (the declaration is the reviewed intent) but called out. */
function warnAboutRisk(key: TopicConfigKey, from: string | undefined, to: string, warn: (message: string) => void): void {
  if (key === 'retention.ms' && from !== undefined && isShorterRetention(from, to)) {
    warn(`retention.ms shortens from ${from} to ${to}: records older than that become eligible for deletion`);
  }
  if (key === 'cleanup.policy' && from !== undefined) {
    warn(
      `cleanup.policy changes from ${from} to ${to}: ${to.includes('compact') ? 'older records of a key will be compacted away' : 'records now expire with retention.ms'}`,
    );
  }
}

function isShorterRetention(from: string, to: string): boolean {
  const fromMs = Number(from);
  const toMs = Number(to);
  if (toMs === -1) return false;
  return fromMs === -1 || toMs < fromMs;
}

/** Engines may spell one value differently (`delete,compact` for `compact,delete`, `[compact]`). */
function sameConfigValue(key: TopicConfigKey, reported: string, declared: string): boolean {
  if (key === 'cleanup.policy') return normaliseList(reported) === normaliseList(declared);
  if (key === 'compression.type') return reported.trim().toLowerCase() === declared;
  return Number(reported.trim()) === Number(declared);
}

function normaliseList(value: string): string {
  return value
    .replace(/[[\]\s]/g, '')
    .split(',')
    .filter(Boolean)
    .sort()
    .join(',');
}

function assertDeclarations(declared: readonly TopicSpec[]): void {
  const seen = new Set<string>();
  for (const spec of declared) {
    assertValidTopicSpec(spec);
    if (seen.has(spec.name)) {
      throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `topic "${spec.name}" is declared more than once`);
    }
    seen.add(spec.name);
  }
}
