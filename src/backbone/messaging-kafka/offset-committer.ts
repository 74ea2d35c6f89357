import { findErrorBy, NetworkError, offsetCommitV8, type Consumer } from '@platformatic/kafka';
import { isBrokerUnavailable } from './errors.ts';

/** The group membership a position is committed under: the one of the assignment the batch came from. */
export interface Membership {
  generationId: number;
  memberId: string;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  /** The next offset to read (last handled offset + 1). */
  offset: bigint;
  leaderEpoch: number;
}

export interface CommitTimings {
  retryDelayMs: number;
  brokerUnavailableTimeoutMs: number;
}

/**
 * Sends OffsetCommit (v8) to the group coordinator ourselves instead of through `Consumer.commit`,
 * for one reason: when the coordinator answers that the member must rejoin, the library's commit
 * rejoins the group and then sends the same offsets again under the *new* generation. By then the
 * partition may belong to another member (or to this one again, which has already moved on), so
 * that late commit can move the group's position backwards: every record after it is delivered
 * again. We saw it happen when a broker was killed. Kafka's Java consumer refuses such a commit
 * (CommitFailedException) and so do we: it is sent under the generation of the batch's assignment,
 * and a "rejoin" answer means the partition was lost and the batch will be delivered again to its
 * owner; nothing is retried. It also means a commit never waits on a rejoin, so the revocation
 * before a rejoin can wait for every commit in flight.
 *
 * The request goes over the consumer's own connection to the coordinator, the one its JoinGroup
 * uses, so the broker handles a commit sent before a rejoin before the rejoin.
 *
 * Resolves `committed`, or `lost` when the group has moved on without this member's assignment.
 * Retries while the coordinator is unavailable (a broker failing over takes seconds), up to
 * `brokerUnavailableTimeoutMs`; throws on anything else.
 */
/** Commits the offsets of several partitions of one membership, in one OffsetCommit request (see above). */
export async function commitOffsets(
  consumer: Consumer,
  membership: Membership,
  offsets: readonly OffsetToCommit[],
  timings: CommitTimings,
): Promise<'committed' | 'lost'> {
  const topics = new Map<
    string,
    { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: null }[]
  >();
  for (const offset of offsets) {
    const partitions = topics.get(offset.topic) ?? [];
    partitions.push({
      partitionIndex: offset.partition,
      committedOffset: offset.offset,
      committedLeaderEpoch: offset.leaderEpoch,
      committedMetadata: null,
    });
    topics.set(offset.topic, partitions);
  }
  const request = [...topics].map(([name, partitions]) => ({ name, partitions }));
  const startedMs = Date.now();
  for (;;) {
    try {
      const connection = await coordinatorConnection(consumer);
      await offsetCommitV8.api.async(
        connection,
        consumer.groupId,
        membership.generationId,
        membership.memberId,
        consumer.groupInstanceId,
        request,
      );
      return 'committed';
    } catch (error) {
      // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID.
      if (findErrorBy(error as Error, 'needsRejoin', true)) return 'lost';
      if (!isBrokerUnavailable(error) || Date.now() - startedMs >= timings.brokerUnavailableTimeoutMs || consumer.closed) throw error;
      await new Promise((resolve) => setTimeout(resolve, timings.retryDelayMs));
    }
  }
}

/**
 * Joins the commits asked for in the same turn of the event loop into one OffsetCommit request per
 * membership: the batches of many partitions that a consumer applied in one database transaction
 * finish together, and each would otherwise send its own request. Each caller gets the outcome of
 * the request that carried its offset.
 */
export class OffsetCommitBatcher {
  readonly #consumer: Consumer;
  readonly #timings: CommitTimings;
  #pending: {
    membership: Membership;
    offset: OffsetToCommit;
    resolve: (outcome: 'committed' | 'lost') => void;
    reject: (error: unknown) => void;
  }[] = [];

  constructor(consumer: Consumer, timings: CommitTimings) {
    this.#consumer = consumer;
    this.#timings = timings;
  }

  commit(membership: Membership, offset: OffsetToCommit): Promise<'committed' | 'lost'> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(() => this.#flush());
      this.#pending.push({ membership, offset, resolve, reject });
    });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    const byMembership = new Map<string, typeof pending>();
    for (const entry of pending) {
      const key = `${entry.membership.generationId}\u0000${entry.membership.memberId}`;
      const entries = byMembership.get(key);
      if (entries) entries.push(entry);
      else byMembership.set(key, [entry]);
    }
    for (const entries of byMembership.values()) {
      commitOffsets(
        this.#consumer,
        entries[0]!.membership,
        entries.map((entry) => entry.offset),
        this.#timings,
      ).then(
        (outcome) => entries.forEach((entry) => entry.resolve(outcome)),
        (error: unknown) => entries.forEach((entry) => entry.reject(error)),
      );
    }
  }
}

/**
 * The coordinator as the consumer knows it. When the coordinator moved, the consumer learns it at
 * its next heartbeat (a heartbeat interval), and the next attempt goes to the new one.
 */
async function coordinatorConnection(consumer: Consumer) {
  const coordinatorId = await consumer.findGroupCoordinator();
  const metadata = await consumer.metadata({ topics: consumer.topics.current });
  const broker = metadata.brokers.get(coordinatorId);
  if (!broker) {
    consumer.clearMetadata();
    throw new NetworkError(`group coordinator ${coordinatorId} is not in the cluster metadata`);
  }
  return consumer.connections.get(broker);
}
