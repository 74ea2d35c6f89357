import type { OutgoingMessage } from '../messaging/event-bus.ts';

export interface RetryPolicy {
  /**
   * `blocking`: the partition waits while the failing event is retried (for handlers where the
   * order of all events of a partition matters). `non-blocking`: the event goes to a retry topic
   * and its key is parked, so later events of that key wait while other keys flow.
   */
  mode: 'blocking' | 'non-blocking';
  /** Delay before each retry; after the last, the event is dead-lettered. Default 1 s, 5 s, 30 s. */
  delaysMs: readonly number[];
}

/** What one failed record turns into, written in a small transaction of its own. */
export interface FailureAction {
  outgoing: OutgoingMessage[];
  /** Park the record's key (it went to the first retry tier from the main subscription). */
  parkKey: boolean;
  /** The record was the head of a parked key and is done: release the next event behind it. */
  releaseNextParked: boolean;
}
