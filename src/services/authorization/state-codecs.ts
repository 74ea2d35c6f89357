import type { StoreCodec } from '../../backbone/stream/index.ts';
import type { AccountRecord, PartitionRecord } from './domain/authorization-processor.ts';

/**
 * The processor's state as JSON text in the stream tables: amounts (bigint) as decimal strings,
 * and "none yet" (−Infinity in memory) as null, the two things JSON cannot write as they are.
 */
export const accountRecordCodec: StoreCodec<AccountRecord> = {
  encode: (account) =>
    JSON.stringify({
      ...account,
      highestVersion: finiteOrNull(account.highestVersion),
      updates: account.updates.map((update) => ({ ...update, availableMinor: update.availableMinor.toString() })),
      pending: account.pending.map((pending) => ({
        ...pending,
        request: { ...pending.request, amountMinor: pending.request.amountMinor.toString() },
      })),
      decided: account.decided.map((entry) => ({ ...entry, amountMinor: entry.amountMinor.toString() })),
    }),
  decode: (text) => {
    const stored = JSON.parse(text) as StoredAccount;
    return {
      ...stored,
      highestVersion: stored.highestVersion ?? Number.NEGATIVE_INFINITY,
      updates: stored.updates.map((update) => ({ ...update, availableMinor: BigInt(update.availableMinor) })),
      pending: stored.pending.map((pending) => ({
        ...pending,
        request: { ...pending.request, amountMinor: BigInt(pending.request.amountMinor) },
      })),
      decided: stored.decided.map((entry) => ({ ...entry, amountMinor: BigInt(entry.amountMinor) })),
    };
  },
};

export const partitionRecordCodec: StoreCodec<PartitionRecord> = {
  encode: (partition) => JSON.stringify({ newestRequestEventMs: finiteOrNull(partition.newestRequestEventMs) }),
  decode: (text) => {
    const stored = JSON.parse(text) as { newestRequestEventMs: number | null };
    return { newestRequestEventMs: stored.newestRequestEventMs ?? Number.NEGATIVE_INFINITY };
  },
};

/** An account as stored: its bigints as strings, its highest version null before the first. */
type StoredAccount = Omit<AccountRecord, 'highestVersion' | 'updates' | 'pending' | 'decided'> & {
  highestVersion: number | null;
  updates: (Omit<AccountRecord['updates'][number], 'availableMinor'> & { availableMinor: string })[];
  pending: (Omit<AccountRecord['pending'][number], 'request'> & {
    request: Omit<AccountRecord['pending'][number]['request'], 'amountMinor'> & { amountMinor: string };
  })[];
  decided: (Omit<AccountRecord['decided'][number], 'amountMinor'> & { amountMinor: string })[];
};

function finiteOrNull(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null;
}
