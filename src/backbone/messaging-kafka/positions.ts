import { ListOffsetTimestamps, type Consumer } from '@platformatic/kafka';
import { topicPartitionKey, type TopicPartition } from '../messaging/event-bus.ts';

/**
 * Where each newly assigned partition starts, in the port's order of precedence: the position
 * `onAssigned` returned (a consumer that stores its positions beside its effects), else the
 * group's committed offset, else the start or the end of the log (`startFrom`).
 */
export async function startingPositions(
  consumer: Consumer,
  partitions: readonly TopicPartition[],
  fromHandler: ReadonlyMap<string, bigint> | void,
  startFrom: 'earliest' | 'latest',
): Promise<Map<string, bigint>> {
  const positions = new Map<string, bigint>();
  const withoutHandlerPosition: TopicPartition[] = [];
  for (const tp of partitions) {
    const position = fromHandler?.get(topicPartitionKey(tp));
    if (position === undefined) withoutHandlerPosition.push(tp);
    else if (typeof position !== 'bigint' || position < 0n)
      throw new RangeError(`onAssigned returned position ${String(position)} for ${topicPartitionKey(tp)}; positions are offsets >= 0n`);
    else positions.set(topicPartitionKey(tp), position);
  }
  if (withoutHandlerPosition.length === 0) return positions;

  const committed = await consumer.listCommittedOffsets({ topics: byTopic(withoutHandlerPosition) });
  const withoutAny: TopicPartition[] = [];
  for (const tp of withoutHandlerPosition) {
    // -1 means the group has no committed offset for the partition.
    const offset = committed.get(tp.topic)?.[tp.partition];
    if (offset !== undefined && offset >= 0n) positions.set(topicPartitionKey(tp), offset);
    else withoutAny.push(tp);
  }
  for (const [key, offset] of await logBoundaries(consumer, withoutAny, startFrom)) positions.set(key, offset);
  return positions;
}

/**
 * The first offset of each partition (`earliest`), or the offset the next record will get
 * (`latest`, the last stable offset: records of open transactions are not skipped).
 */
export async function logBoundaries(
  consumer: Consumer,
  partitions: readonly TopicPartition[],
  which: 'earliest' | 'latest',
): Promise<Map<string, bigint>> {
  const boundaries = new Map<string, bigint>();
  if (partitions.length === 0) return boundaries;
  const grouped = byTopic(partitions);
  const offsets = await consumer.listOffsets({
    topics: grouped.map((g) => g.topic),
    partitions: Object.fromEntries(grouped.map((g) => [g.topic, g.partitions])),
    timestamp: which === 'earliest' ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
  });
  for (const tp of partitions) {
    const offset = offsets.get(tp.topic)?.[tp.partition];
    if (offset === undefined) throw new Error(`the broker returned no ${which} offset for ${topicPartitionKey(tp)}`);
    boundaries.set(topicPartitionKey(tp), offset);
  }
  return boundaries;
}

function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const grouped = new Map<string, number[]>();
  for (const tp of partitions) {
    const list = grouped.get(tp.topic) ?? [];
    list.push(tp.partition);
    grouped.set(tp.topic, list);
  }
  return [...grouped].map(([topic, list]) => ({ topic, partitions: list }));
}
