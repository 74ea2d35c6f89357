import { BackboneError, ErrorCodes } from '../errors.ts';
import type { TopicSpec } from './topic-admin.ts';
import { deadLetterTopicOf, retryTopicOf } from './topic-naming.ts';

/** How a topic's failed records are parked: the retry tiers and the dead-letter topic. */
export interface FailureTopicsPolicy {
  /** One retry tier per distinct delay. Default `defaultRetryDelaysMs`; `[]` for blocking retries only. */
  retryDelaysMs?: readonly number[];
  /** How long a record may wait in a retry tier (consumers down over a weekend). Default 7 days. */
  retryRetentionMs?: number;
  /** How long operators have to inspect and replay a dead letter. Default 30 days. */
  deadLetterRetentionMs?: number;
}

const dayMs = 86_400_000;

/** The backoff the architecture names: 1 s, 5 s, 30 s. The consumer runner uses the same list. */
export const defaultRetryDelaysMs: readonly number[] = Object.freeze([1_000, 5_000, 30_000]);

export const failureTopicDefaults = {
  retryRetentionMs: 7 * dayMs,
  deadLetterRetentionMs: 30 * dayMs,
} as const;

/**
 * The retry tiers and dead-letter topic of `source`, in that order.
 *
 * They have the source's partition count, so a key lands in the same partition number as in the
 * source (the parked-key logic relies on that), and its replication, because a dead letter is worth
 * as much as the event it holds. They always use `delete`: compacting them would keep only the
 * last failure of a key and silently drop the others.
 */
export function failureTopicsOf(source: TopicSpec, policy: FailureTopicsPolicy = {}): TopicSpec[] {
  const delaysMs = [...new Set(policy.retryDelaysMs ?? defaultRetryDelaysMs)];
  const retryRetentionMs = policy.retryRetentionMs ?? failureTopicDefaults.retryRetentionMs;
  const deadLetterRetentionMs = policy.deadLetterRetentionMs ?? failureTopicDefaults.deadLetterRetentionMs;
  for (const delayMs of delaysMs) {
    // A record must outlive its delay in the tier, or it is deleted before it is retried.
    if (retryRetentionMs !== -1 && retryRetentionMs <= delayMs) {
      throw new BackboneError(
        ErrorCodes.INVALID_OPTIONS,
        `topic "${source.name}": retryRetentionMs (${retryRetentionMs}) must exceed every retry delay, ${delayMs} does not fit`,
      );
    }
  }
  const derived = (name: string, retentionMs: number): TopicSpec =>
    Object.freeze({ ...source, name, retentionMs, cleanupPolicy: 'delete' as const });
  return [
    ...delaysMs.map((delayMs) => derived(retryTopicOf(source.name, delayMs), retryRetentionMs)),
    derived(deadLetterTopicOf(source.name), deadLetterRetentionMs),
  ];
}

/** `source` followed by its failure topics: what a catalog lists for a consumed topic. */
export function withFailureTopics(source: TopicSpec, policy: FailureTopicsPolicy = {}): TopicSpec[] {
  return [source, ...failureTopicsOf(source, policy)];
}
