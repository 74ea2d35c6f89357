import type { Database } from '../storage/database.ts';
import type { EventBus, LogRecord, MessageHeaders, OutgoingMessage } from '../messaging/event-bus.ts';
import type { Clock, IdGenerator } from '../clock/clock.ts';
import { deadLetterTopicOf } from '../topics/topic-naming.ts';
import { deadLetterHeaders } from '../consumer/dead-letter.ts';
import { replayHeaders } from '../consumer/replay-headers.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';

/** Which dead letters of one topic to look at or replay. Every field narrows the selection. */
export interface DeadLetterFilter {
  /** The original topic (its `<topic>.dlq` is read). */
  topic: string;
  /** Only letters of this consumer group; a replay goes to this group alone. */
  consumer: string;
  key?: string;
  errorCode?: string;
  /** Failed at or after / before (ISO 8601 or ms since the epoch). */
  failedFromMs?: number;
  failedBeforeMs?: number;
  /** Also letters an earlier replay already sent back. Default false. */
  includeReplayed?: boolean;
}

export interface DeadLetterView {
  partition: number;
  offset: bigint;
  key: string;
  eventId: string | undefined;
  eventType: string | undefined;
  errorCode: string;
  reason: string;
  failedAt: string;
  attempts: number;
  consumer: string;
  originalTopic: string;
  originalPartition: number;
  originalOffset: bigint;
  replayedBy: string | undefined;
}

export interface ReplayRequest {
  filter: DeadLetterFilter;
  /** Who asked, and why: kept with the replay for the audit trail. */
  operator: string;
  reason: string;
  /** Lists what would be replayed and changes nothing. */
  dryRun: boolean;
}

export interface ReplayResult {
  replayId: string | undefined;
  dryRun: boolean;
  letters: DeadLetterView[];
}

/**
 * The operators' review group on every dead-letter topic: `paystream_dlq_depth` is its lag, the
 * dead letters written after the position it committed last. Nothing consumes as this group but
 * `DeadLetterReplay.acknowledge`, by which an operator marks the letters there so far as reviewed.
 */
export const deadLetterReviewGroupId = 'dlq-review';

export interface DeadLetterReplayDeps {
  bus: EventBus;
  db: Database;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * Dead letters as an operator sees them, and governed replay: filter, dry run, replay to one
 * consumer group only (the replayed record carries `replay-for-consumer`, every other consumer of
 * the topic skips it), and every replay recorded with who, why and which letters.
 *
 * A replayed event keeps its eventId, so a consumer that already applied it (a letter replayed
 * twice) drops it: replay applies each effect at most once more.
 */
export class DeadLetterReplay {
  readonly #deps: DeadLetterReplayDeps;

  constructor(deps: DeadLetterReplayDeps) {
    this.#deps = deps;
  }

  async list(filter: DeadLetterFilter): Promise<DeadLetterView[]> {
    const records = await this.#readAll(deadLetterTopicOf(filter.topic));
    const replayed = await this.#replayedLetters(deadLetterTopicOf(filter.topic));
    return records
      .map((record) => viewOf(record, replayed.get(`${record.partition}:${record.offset}`)))
      .filter((view) => matches(view, filter));
  }

  async replay(request: ReplayRequest): Promise<ReplayResult> {
    if (!request.operator.trim() || !request.reason.trim())
      throw new BackboneError(ErrorCodes.INVALID_OPTIONS, 'a replay needs an operator and a reason');
    const dlqTopic = deadLetterTopicOf(request.filter.topic);
    const records = await this.#readAll(dlqTopic);
    const replayed = await this.#replayedLetters(dlqTopic);
    const selected = records.filter((record) =>
      matches(viewOf(record, replayed.get(`${record.partition}:${record.offset}`)), request.filter),
    );
    const letters = selected.map((record) => viewOf(record, replayed.get(`${record.partition}:${record.offset}`)));
    if (request.dryRun || selected.length === 0) return { replayId: undefined, dryRun: request.dryRun, letters };
    const replayId = this.#deps.ids.eventId();
    await this.#deps.bus.publish(selected.map((record) => replayMessage(record, request.filter.consumer, replayId)));
    await this.#deps.db.transaction(async (tx) => {
      await tx.query(
        `insert into dlq_replays (replay_id, operator, reason, dead_letter_topic, target_consumer, filter, letters) values ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
        [replayId, request.operator, request.reason, dlqTopic, request.filter.consumer, JSON.stringify(request.filter), selected.length],
      );
      for (const record of selected) {
        await tx.query(
          `insert into dlq_replayed_letters (dead_letter_topic, partition, "offset", replay_id) values ($1, $2, $3, $4)
             on conflict (dead_letter_topic, partition, "offset") do update set replay_id = excluded.replay_id`,
          [dlqTopic, record.partition, record.offset, replayId],
        );
      }
    });
    return { replayId, dryRun: false, letters };
  }

  /**
   * Marks every dead letter of `topic`'s dead-letter topic written so far as reviewed: moves the
   * review group (`deadLetterReviewGroupId`) to the topic's current end, which brings
   * `paystream_dlq_depth` back to 0 and resolves `PaystreamDeadLettersWaiting`. The letters stay on
   * the topic, listable and replayable. Returns how many letters the group moved past.
   */
  async acknowledge(topic: string): Promise<number> {
    const dlqTopic = deadLetterTopicOf(topic);
    const ends = await this.#deps.bus.endOffsets(dlqTopic);
    const committed = await this.#deps.bus.committedOffsets(deadLetterReviewGroupId, dlqTopic);
    let acknowledged = 0;
    // The bus commits the group's position past each batch once its handler resolved.
    await this.#readToEnd(
      dlqTopic,
      deadLetterReviewGroupId,
      ends,
      (partition, end) => end > (committed.get(partition) ?? 0n),
      () => acknowledged++,
    );
    return acknowledged;
  }

  /** Reads a dead-letter topic from the start to its current end with a throw-away group. */
  async #readAll(topic: string): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    const ends = await this.#deps.bus.endOffsets(topic);
    await this.#readToEnd(
      topic,
      `dlq-reader-${this.#deps.ids.eventId()}`,
      ends,
      (_partition, end) => end > 0n,
      (record) => records.push(record),
    );
    return records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
  }

  /**
   * Consumes `topic` as `groupId` from its committed position (the earliest without one) and hands
   * `take` every record below `ends` (the topic's end offsets read before), then closes; only the
   * partitions `unread` names are waited for.
   */
  async #readToEnd(
    topic: string,
    groupId: string,
    ends: ReadonlyMap<number, bigint>,
    unread: (partition: number, end: bigint) => boolean,
    take: (record: LogRecord) => void,
  ): Promise<void> {
    const remaining = new Set([...ends].filter(([partition, end]) => unread(partition, end)).map(([partition]) => partition));
    if (remaining.size === 0) return;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const subscription = await this.#deps.bus.subscribe({
      groupId,
      topics: [topic],
      startFrom: 'earliest',
      handleBatch: async (batch) => {
        const end = ends.get(batch.partition) ?? 0n;
        for (const record of batch.records) if (record.offset < end) take(record);
        if (batch.records[batch.records.length - 1]!.offset + 1n >= end) remaining.delete(batch.partition);
        if (remaining.size === 0) finished();
      },
    });
    try {
      await Promise.race([done, subscription.closed]);
    } finally {
      await subscription.close();
    }
  }

  async #replayedLetters(dlqTopic: string): Promise<Map<string, string>> {
    const result = await this.#deps.db.query<{ partition: number; offset: bigint; replay_id: string }>(
      `select partition, "offset", replay_id from dlq_replayed_letters where dead_letter_topic = $1`,
      [dlqTopic],
    );
    return new Map(result.rows.map((row) => [`${row.partition}:${row.offset}`, row.replay_id]));
  }
}

function viewOf(record: LogRecord, replayedBy: string | undefined): DeadLetterView {
  const text = (name: string) => record.headers[name]?.toString() ?? '';
  return {
    partition: record.partition,
    offset: record.offset,
    key: record.key?.toString() ?? '',
    eventId: record.headers['event-id']?.toString(),
    eventType: record.headers['event-type']?.toString(),
    errorCode: text(deadLetterHeaders.errorCode),
    reason: text(deadLetterHeaders.reason),
    failedAt: text(deadLetterHeaders.failedAt),
    attempts: Number(text(deadLetterHeaders.attempts) || '0'),
    consumer: text(deadLetterHeaders.consumerGroup),
    originalTopic: text(deadLetterHeaders.originalTopic),
    originalPartition: Number(text(deadLetterHeaders.originalPartition) || '0'),
    originalOffset: BigInt(text(deadLetterHeaders.originalOffset) || '0'),
    replayedBy,
  };
}

function matches(view: DeadLetterView, filter: DeadLetterFilter): boolean {
  if (view.consumer !== filter.consumer) return false;
  if (filter.key !== undefined && view.key !== filter.key) return false;
  if (filter.errorCode !== undefined && view.errorCode !== filter.errorCode) return false;
  const failedAtMs = Date.parse(view.failedAt);
  if (filter.failedFromMs !== undefined && !(failedAtMs >= filter.failedFromMs)) return false;
  if (filter.failedBeforeMs !== undefined && !(failedAtMs < filter.failedBeforeMs)) return false;
  if (!filter.includeReplayed && view.replayedBy !== undefined) return false;
  return true;
}

/** The original message again, minus the dead-letter headers, addressed to one consumer. */
function replayMessage(record: LogRecord, consumer: string, replayId: string): OutgoingMessage {
  const headers: MessageHeaders = {};
  for (const [name, value] of Object.entries(record.headers)) if (!name.startsWith('dlq-')) headers[name] = value;
  headers[replayHeaders.forConsumer] = Buffer.from(consumer);
  headers[replayHeaders.replayId] = Buffer.from(replayId);
  const topic = record.headers[deadLetterHeaders.originalTopic]?.toString();
  if (!topic)
    throw new BackboneError(
      ErrorCodes.INVALID_ENVELOPE,
      `dead letter ${record.topic}/${record.partition}/${record.offset} has no original topic`,
    );
  return { topic, key: record.key ?? Buffer.alloc(0), value: record.value, headers };
}
