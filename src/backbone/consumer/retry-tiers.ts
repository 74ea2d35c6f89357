import type { LogRecord, OutgoingMessage } from '../messaging/event-bus.ts';
import type { SqlRunner } from '../storage/database.ts';
import type { Clock } from '../clock/clock.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { retryMessage, type RetryState } from './retry-headers.ts';
import { parkedKeyOf } from './key-parking.ts';
import type { Item } from './batch-item.ts';
import type { ConsumerStore } from './consumer-store.ts';
import type { FailureAction, RetryPolicy } from './retry-policy.ts';

/**
 * Retry tiers (non-blocking retry). Contract: a retryable failure sends the event to the topic of
 * the next tier (`<topic>.retry.<delay>`; from the main subscription the first, parking its key)
 * with the time it is due, and moves the position past it in the same transaction; after the
 * last tier it is dead-lettered as RETRIES_EXHAUSTED. The tier subscription waits until a record
 * is due before handing it over, and hands over only the run of records already due. When a head
 * is done (applied, or dead-lettered from a tier), the next event parked behind its key is sent to
 * the first tier, due at once; when none is left, the key is unparked.
 */
export async function waitUntilDue(items: readonly Item[], start: number, clock: Clock, signal: AbortSignal): Promise<number> {
  const waitMs = items[start]!.retry.dueAtMs - clock.nowMs();
  if (waitMs > 0) await clock.sleep(waitMs, signal);
  if (signal.aborted) throw new BackboneError(ErrorCodes.BROKER_UNAVAILABLE, 'consumer is stopping');
  let end = start + 1;
  while (end < items.length && items[end]!.retry.dueAtMs <= clock.nowMs()) end++;
  return end;
}

/** What a retryable failure of `item` becomes: the next tier, or a dead letter after the last. */
export function nextTierAction(
  item: Item,
  retry: RetryPolicy,
  readsRetryTiers: boolean,
  nowMs: number,
  deadLetter: (attempts: number) => OutgoingMessage,
): FailureAction {
  const state: RetryState = { ...item.retry, attempt: item.retry.attempt + 1 };
  const nextTier = readsRetryTiers ? (item.retry.attempt === 0 ? 0 : item.retry.tier + 1) : 0;
  if (nextTier >= retry.delaysMs.length) return { outgoing: [deadLetter(state.attempt)], parkKey: false, releaseNextParked: true };
  const dueAtMs = nowMs + retry.delaysMs[nextTier]!;
  return {
    outgoing: [retryMessage(item.record, state, nextTier, retry.delaysMs, dueAtMs)],
    parkKey: !readsRetryTiers,
    releaseNextParked: false,
  };
}

/** Sends the next event parked behind `item`'s key to the first tier (into `outgoing`), or unparks the key. */
export async function releaseNextParked(
  tx: SqlRunner,
  store: ConsumerStore,
  item: Item,
  retry: RetryPolicy,
  clock: Clock,
  outgoing: OutgoingMessage[],
): Promise<void> {
  const parkedKey = parkedKeyOf(item);
  const next = await store.takeNextParked(tx, parkedKey);
  if (next === 'not-parked' || next === 'unparked') return;
  const { topic, key } = parkedKey;
  const record: LogRecord = {
    topic,
    partition: next.partition,
    offset: next.offset,
    key,
    value: next.value,
    headers: next.headers,
    timestampMs: clock.nowMs(),
  };
  const state: RetryState = { origin: { topic, partition: next.partition, offset: next.offset }, attempt: 0, tier: 0, dueAtMs: 0 };
  outgoing.push(retryMessage(record, state, 0, retry.delaysMs, clock.nowMs()));
}
