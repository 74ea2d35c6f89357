import type { TopicAdmin, TopicSpec } from './topic-admin.ts';
import { planTopics, type TopicPlan } from './topic-plan.ts';

/**
 * Carries out a plan: creates the missing topics in one call, then raises partition counts, then
 * sets configs. Not atomic: if it fails halfway, planning again shows what is left.
 */
export async function applyTopicPlan(admin: TopicAdmin, plan: TopicPlan): Promise<void> {
  const creates = plan.actions.flatMap((action) => (action.kind === 'create' ? [action.spec] : []));
  if (creates.length > 0) await admin.createTopics(creates);
  for (const action of plan.actions) {
    if (action.kind === 'addPartitions') await admin.addPartitions(action.topic, action.partitionsTo);
    else if (action.kind === 'alterConfigs') {
      await admin.alterTopicConfigs(action.topic, Object.fromEntries(action.changes.map((change) => [change.key, change.to])));
    }
  }
}

/**
 * Describe, plan, apply: makes the engine match `declared` and returns the plan it applied. Safe to
 * run on every start; a second run applies an empty plan.
 *
 * Several processes starting together may race to create the same topic: the loser's create fails
 * because a topic now exists. It then plans and applies once more against what is there, so the
 * race ends in the declared state instead of a failed start. Any other failure is thrown.
 */
export async function ensureTopics(admin: TopicAdmin, declared: readonly TopicSpec[]): Promise<TopicPlan> {
  // Each round can lose a race for other topics (the other process creates topics one by one too),
  // so a few rounds; a failure that is not a race is thrown at once.
  for (let round = 1; ; round += 1) {
    const plan = planTopics(declared, await admin.describeTopics(names(declared)));
    try {
      await applyTopicPlan(admin, plan);
      return plan;
    } catch (error) {
      const created = plan.actions.flatMap((action) => (action.kind === 'create' ? [action.spec.name] : []));
      if (created.length === 0 || round >= maxEnsureTopicsRounds) throw error;
      // Evidence of a race: a topic this run meant to create exists now.
      const existing = await admin.describeTopics(created);
      if (!created.some((name) => existing.has(name))) throw error;
    }
  }
}

const maxEnsureTopicsRounds = 5;

function names(specs: readonly TopicSpec[]): string[] {
  return specs.map((spec) => spec.name);
}
