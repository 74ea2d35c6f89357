/**
 * Confirmed false positives. When a compliance officer has reviewed a party and found that it is
 * not the listed person or organisation, the allow list records (party name, account) → the list
 * entries it was cleared against. Screening keeps such matches as evidence (`suppressed`) but
 * does not let them set the band. Clearing is per entry: a new, different entry that the same
 * party resembles is still a hit, and so is the same entry for a party with another account.
 */
import { nameKey } from './normalize.ts';

export interface AllowListEntry {
  /** The party's name as cleared; compared after normalisation (case, diacritics, order). */
  partyName: string;
  /** The party's account; absent means every account of a party with this name. */
  account?: string;
  list: string;
  entryId: string;
  /** Who cleared it and why, for the audit trail. */
  reason?: string;
}

export interface AllowList {
  /** The allow-list entry that clears `entryId` of `list` for this party, if any. */
  find(partyName: string, account: string | undefined, list: string, entryId: string): AllowListEntry | undefined;
}

export const emptyAllowList: AllowList = { find: () => undefined };

export function createAllowList(entries: readonly AllowListEntry[]): AllowList {
  const byKey = new Map<string, AllowListEntry>();
  for (const entry of entries) byKey.set(key(nameKey(entry.partyName), entry.account, entry.list, entry.entryId), entry);
  return {
    find(partyName, account, list, entryId) {
      const name = nameKey(partyName);
      return (
        (account === undefined ? undefined : byKey.get(key(name, account, list, entryId))) ?? byKey.get(key(name, undefined, list, entryId))
      );
    },
  };
}

function key(name: string, account: string | undefined, list: string, entryId: string): string {
  return `${name}\u0000${account ?? '*'}\u0000${list}\u0000${entryId}`;
}
