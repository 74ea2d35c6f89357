/** Headers of a dead letter replayed to its original topic. */
export const replayHeaders = {
  /** Only this consumer handles the replayed record; every other consumer skips it. */
  forConsumer: 'replay-for-consumer',
  /** The replay (row in dlq_replays) that sent it. */
  replayId: 'replay-id',
} as const;
