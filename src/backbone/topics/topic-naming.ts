import { BackboneError, ErrorCodes } from '../errors.ts';

/**
 * Topic names and the names derived from them. The consumer runner and the dead-letter tools use
 * these functions, never string concatenation of their own, so a name has exactly one spelling.
 *
 *   payments.submitted.v1             a declared topic: `<domain>.<event>.v<major>`
 *   payments.submitted.v1.retry.5s    its retry tier for a 5-second delay
 *   payments.submitted.v1.dlq         its dead-letter topic
 */

/**
 * `<domain>.<event>.v<major>`: lower-case words joined by hyphens, a major version from 1. Only
 * dots separate the parts and no underscores are allowed, because Kafka maps `.` and `_` to the
 * same metric name and warns about topics that differ only there.
 */
export const topicNamePattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.v[1-9][0-9]*$/;

/** Kafka's own limit; derived names count too, so a declared name must leave room for suffixes. */
export const maxTopicNameLength = 249;

/** The dead-letter topic of `topic`. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/** The retry tier of `topic` for records that wait `delayMs` before their next attempt. */
export function retryTopicOf(topic: string, delayMs: number): string {
  return `${topic}.retry.${formatDelay(delayMs)}`;
}

/**
 * A delay in the largest unit that divides it exactly: 1000 → `1s`, 120000 → `2m`, 1500 →
 * `1500ms`. Choosing the largest exact unit makes the spelling unique (60000 is always `1m`,
 * never `60s`), so two delays can never map to one topic name.
 */
export function formatDelay(delayMs: number): string {
  if (!Number.isSafeInteger(delayMs) || delayMs <= 0) {
    throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `retry delay must be a positive whole number of milliseconds, got ${delayMs}`);
  }
  for (const [unit, unitMs] of delayUnits) {
    if (delayMs % unitMs === 0) return `${delayMs / unitMs}${unit}`;
  }
  return `${delayMs}ms`;
}

/** Throws INVALID_OPTIONS unless `name` follows `<domain>.<event>.v<major>`. */
export function assertTopicName(name: string): void {
  if (!topicNamePattern.test(name)) {
    throw new BackboneError(
      ErrorCodes.INVALID_OPTIONS,
      `topic name "${name}" must look like <domain>.<event>.v<major> in lower case with hyphens between words, e.g. "payments.submitted.v1"`,
    );
  }
}

const delayUnits: ReadonlyArray<readonly [string, number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];
