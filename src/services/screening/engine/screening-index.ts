/**
 * The screening index: every name of every loaded list, tokenised once, with the lookups that let a
 * screen compare the party against a few dozen candidate names instead of all ~25,000.
 *
 * - A *vocabulary* of distinct tokens, each with the names it occurs in (postings) and its
 *   document frequency.
 * - *Blocking keys* per token: the token and its one-letter deletions (a query token shares a key
 *   with every token at one insertion, deletion, substitution or transposition from it), and its
 *   phonetic key (transliteration variants: Mohammed / Muhammad → "mmd", phonetic-key.ts). A query token's
 *   similar tokens are found through these keys and then scored with Jaro-Winkler.
 *
 * The index is immutable once built and can be shared; `SanctionsListStore` swaps a new one in
 * whole when a list changes. Two things inside are mutable and are not part of its meaning: a memo
 * of query token → similar tokens (bounded) and scratch arrays reused by `screenParty`, which
 * runs synchronously, so one index must not be screened from two worker threads at once.
 */
import type { ListEntry, ListVersion, LoadedList } from '../model.ts';
import { tokenizeName } from './normalize.ts';
import { phoneticKey } from './phonetic-key.ts';
import { defaultSimilarityFloors, foldedTokenSimilarity, type SimilarityFloors } from './similarity.ts';

export interface IndexedEntry {
  version: ListVersion;
  entry: ListEntry;
}

export interface IndexedName {
  /** Position in `ScreeningIndex.entries`. */
  entry: number;
  /** Position in that entry's `names`. */
  nameIndex: number;
  tokens: Int32Array;
  weights: Float64Array;
  /** `topShare[k - 1]`: share of the name's weight held by its k heaviest tokens (for bounds). */
  topShare: Float64Array;
}

export interface ScreeningIndex {
  readonly versions: readonly ListVersion[];
  readonly entries: readonly IndexedEntry[];
  readonly names: readonly IndexedName[];
  readonly vocabulary: readonly string[];
  /** `vocabulary[id]` with spelling variants folded. */
  readonly foldedVocabulary: readonly string[];
  /** Names each token occurs in (ids into `names`, ascending). */
  readonly postings: readonly Int32Array[];
  readonly floors: SimilarityFloors;
  /** Tokens found in more names than this are "frequent": they alone do not make a name a candidate. */
  readonly frequentTokenNames: number;
  /** Vocabulary tokens similar to a party token (id → similarity), found through the blocking keys. Memoised. */
  similarTokens(token: string, folded: string): ReadonlyMap<number, number>;
  /** Scratch space for `screenParty`; see the note at the top of this file. */
  readonly scratch: { stamp: Int32Array; mask: Int32Array; generation: number };
}

export interface ScreeningIndexOptions {
  floors?: SimilarityFloors;
  /** Default: 0.5 % of the names, at least 50. */
  frequentTokenNames?: number;
  /** Query tokens whose similar tokens are memoised. Default 100,000. */
  memoTokensMax?: number;
}

export function buildScreeningIndex(lists: readonly LoadedList[], options: ScreeningIndexOptions = {}): ScreeningIndex {
  const entries: IndexedEntry[] = [];
  const names: IndexedName[] = [];
  const vocabulary: string[] = [];
  const foldedVocabulary: string[] = [];
  const tokenIds = new Map<string, number>();
  const postingLists: number[][] = [];

  for (const list of lists) {
    for (const entry of list.entries) {
      const entryPosition = entries.push({ version: list.version, entry }) - 1;
      const seenKeys = new Set<string>();
      entry.names.forEach((entryName, nameIndex) => {
        const tokens = tokenizeName(entryName.name);
        if (tokens.length === 0) return;
        // The same name twice in one entry (primary repeated as an alias) is indexed once.
        const key = tokens.map((token) => token.text).sort().join(' ');
        if (seenKeys.has(key)) return;
        seenKeys.add(key);
        const nameId = names.length;
        const ids = new Int32Array(tokens.length);
        tokens.forEach((token, position) => {
          let id = tokenIds.get(token.text);
          if (id === undefined) {
            id = vocabulary.push(token.text) - 1;
            foldedVocabulary.push(token.folded);
            tokenIds.set(token.text, id);
            postingLists.push([]);
          }
          ids[position] = id;
          const posting = postingLists[id] as number[];
          if (posting[posting.length - 1] !== nameId) posting.push(nameId);
        });
        const weights = Float64Array.from(tokens, (token) => token.weight);
        names.push({ entry: entryPosition, nameIndex, tokens: ids, weights, topShare: topShares(weights) });
      });
    }
  }

  const blocking = new Map<string, number[]>();
  vocabulary.forEach((token, id) => {
    for (const key of blockingKeys(token, foldedVocabulary[id] as string)) {
      const bucket = blocking.get(key);
      if (bucket) bucket.push(id);
      else blocking.set(key, [id]);
    }
  });

  const floors = options.floors ?? defaultSimilarityFloors;
  const memo = new Map<string, ReadonlyMap<number, number>>();
  const memoTokensMax = options.memoTokensMax ?? 100_000;
  const similarTokens = (token: string, folded: string): ReadonlyMap<number, number> => {
    const memoised = memo.get(token);
    if (memoised) return memoised;
    const seen = new Set<number>();
    const similar = new Map<number, number>();
    for (const key of blockingKeys(token, folded)) {
      for (const id of blocking.get(key) ?? []) {
        if (seen.has(id)) continue;
        seen.add(id);
        const similarity = foldedTokenSimilarity(token, folded, vocabulary[id] as string, foldedVocabulary[id] as string, floors);
        if (similarity > 0) similar.set(id, similarity);
      }
    }
    if (memo.size >= memoTokensMax) memo.clear();
    memo.set(token, similar);
    return similar;
  };

  return {
    versions: lists.map((list) => list.version),
    entries,
    names,
    vocabulary,
    foldedVocabulary,
    postings: postingLists.map((posting) => Int32Array.from(posting)),
    floors,
    frequentTokenNames: options.frequentTokenNames ?? Math.max(50, Math.round(names.length * 0.005)),
    similarTokens,
    scratch: { stamp: new Int32Array(names.length), mask: new Int32Array(names.length), generation: 0 },
  };
}

function topShares(weights: Float64Array): Float64Array {
  const descending = Float64Array.from(weights).sort().reverse();
  const total = descending.reduce((sum, weight) => sum + weight, 0);
  let running = 0;
  return descending.map((weight) => (running += weight) / total);
}

/**
 * Keys under which a token is filed and looked up, for its written and its folded form: the form
 * itself, its one-letter deletions (four letters or more) and its phonetic key (three or more).
 */
export function blockingKeys(token: string, folded: string): string[] {
  const keys = new Set<string>();
  for (const form of token === folded ? [token] : [token, folded]) {
    keys.add(`d${form}`);
    if (form.length >= 4) {
      for (let i = 0; i < form.length; i += 1) keys.add(`d${form.slice(0, i)}${form.slice(i + 1)}`);
    }
    if (form.length >= 3 && /[a-z]/.test(form)) {
      const key = phoneticKey(form);
      if (key.length >= 2) keys.add(`p${key}`);
    }
  }
  return [...keys];
}
