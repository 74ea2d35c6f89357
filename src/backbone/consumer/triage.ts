import { topicPartitionKey } from '../messaging/event-bus.ts';
import type { Item, Part } from './batch-item.ts';
import type { BatchState } from './consumer-store.ts';
import { isBehindPosition } from './deduplication.ts';
import { parkedKeyOf } from './key-parking.ts';
import { isForConsumer } from './replay-filter.ts';

/** Where each record of a transaction goes, once its first statement told what is stored. */
export interface Triage {
  /** For the handler, with each one's index in its batch. */
  toHandle: { item: Item; index: number }[];
  /** Behind a parked key (see `key-parking.ts`). */
  toPark: Item[];
  /** To dead-letter in this transaction (see `dead-letter.ts`). */
  undecodable: Item[];
}

/**
 * Sorts the records of `parts` past their stored position, in offset order: undecodable ones to
 * dead-letter; replays for another consumer and duplicates dropped (`replay-filter.ts`,
 * `deduplication.ts`; the ids handed to the handler join `state.processed`, so an id twice in one
 * transaction is handled once); events of a parked key to park (main subscription only); the rest
 * to handle.
 */
export function triage(
  parts: readonly Part[],
  { positions, processed, parked }: BatchState,
  consumer: string,
  readsRetryTiers: boolean,
): Triage {
  const sorted: Triage = { toHandle: [], toPark: [], undecodable: [] };
  for (const part of parts) {
    const position = positions.get(topicPartitionKey(part.batch));
    for (let index = part.start; index < part.end; index++) {
      const item = part.items[index]!;
      if (isBehindPosition(item.record.offset, position)) continue;
      if (item.undecodable) sorted.undecodable.push(item);
      else if (!isForConsumer(item.record, consumer) || processed.has(item.event!.envelope.eventId)) continue;
      else if (!readsRetryTiers && parked.has(parkedKeyOf(item))) sorted.toPark.push(item);
      else {
        processed.add(item.event!.envelope.eventId);
        sorted.toHandle.push({ item, index });
      }
    }
  }
  return sorted;
}
