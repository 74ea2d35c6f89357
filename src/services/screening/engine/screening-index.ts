/**
 * The screening index: every name of every loaded list, tokenised once, with the lookups that let a
 * screen compare the party against a few dozen candidate names instead of all ~25,000.
 *
 * - A *vocabulary* of distinct tokens, each with the names it occurs in (postings), the number of
 *   entries it occurs in, and its consonant skeleton (phonetic-key.ts).
 * - *Blocking keys* per token: the token and its one-letter deletions (a query token shares a key
 *   with every token at one insertion, deletion, substitution or transposition from it), from six
 *   letters also its two-letter deletions (two edits apart, which similarity.ts tolerates from six
 *   letters), and its phonetic key (transliteration variants: Mohammed / Muhammad → "mmd",
 *   phonetic-key.ts). A query token's close tokens are found through these keys and then scored
 *   with Jaro-Winkler. The keys are hashed, and filed in typed arrays behind one hash table: half
 *   a million of them as strings in a Map took longer to build than the rest of the index.
 *
 * The index is immutable once built and can be shared; `SanctionsListStore` swaps a new one in
 * whole when a list changes. A few things inside are mutable and are not part of its meaning: a
 * memo of query token → close tokens (bounded), a stamp array used while looking them up, and
 * scratch arrays reused by `screenParty`. All run synchronously, so one index must not be
 * screened from two worker threads at once.
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
  /** `topShare[k - 1]`: share of the name's weight held by its k heaviest distinct tokens (for bounds). */
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
  /** Entries each token occurs in (an entry's aliases count once): its rarity on the lists. */
  readonly entryCounts: Int32Array;
  /** A token in at most this many entries is *rare*: an exact match on it is context for a loose pair (name-score.ts). */
  readonly rareTokenEntries: number;
  /** `phoneticKey` of each folded vocabulary token: its consonant skeleton. */
  readonly skeletons: readonly string[];
  /**
   * `topShare` of every name in one array, `shareStride` per name, for the candidate bound's hot
   * loop: `shares[name · shareStride + k − 1]` for k ≤ `shareStride` (1 once k reaches the name's length).
   */
  readonly shares: Float64Array;
  readonly floors: SimilarityFloors;
  /** Tokens found in more names than this are "frequent": they alone do not make a name a candidate. */
  readonly frequentTokenNames: number;
  /** Vocabulary tokens close to a party token (id → similarity), found through the blocking keys. Memoised. */
  similarTokens(token: string, folded: string): ReadonlyMap<number, number>;
  /** A party token against vocabulary token `id`: `foldedTokenSimilarity` (> 0 close, < 0 loose, 0 none). */
  compare(token: string, folded: string, id: number): number;
  /** The vocabulary id of a token as written, if the lists contain it. */
  tokenId(token: string): number | undefined;
  /** Scratch space for `screenParty`; see the note at the top of this file. */
  readonly scratch: { stamp: Int32Array; mask: Int32Array; generation: number };
}

export interface ScreeningIndexOptions {
  floors?: SimilarityFloors;
  /** Default: 0.5 % of the names, at least 50. */
  frequentTokenNames?: number;
  /** Query tokens whose similar tokens are memoised. Default 100,000. */
  maxMemoTokens?: number;
  /** Tokens of at least this many letters are also found two edits away. Default 6 (as similarity.ts tolerates). */
  twoEditsMinLength?: number;
  /** Default: 0.05 % of the entries (IDF ≥ ln 2000), at least 2: 5 for OFAC SDN and UN together. */
  rareTokenEntries?: number;
}

export const defaultTwoEditsMinLength = 6;

/** Shares per name in `ScreeningIndex.shares`. */
export const shareStride = 8;

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
        const key = tokens
          .map((token) => token.text)
          .sort()
          .join(' ');
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
        // A token written twice ("ALVAREZ ALVAREZ, Wenceslao") counts once in the coverage (name-score.ts).
        const distinctWeights = Float64Array.from(
          tokens.filter((token, position) => tokens.findIndex((other) => other.text === token.text) === position),
          (token) => token.weight,
        );
        names.push({ entry: entryPosition, nameIndex, tokens: ids, weights, topShare: topShares(distinctWeights) });
      });
    }
  }

  const twoEditsMinLength = options.twoEditsMinLength ?? defaultTwoEditsMinLength;
  const blocking = fileBlockingKeys(vocabulary, foldedVocabulary, twoEditsMinLength);

  const floors = options.floors ?? defaultSimilarityFloors;
  const memo = new Map<string, ReadonlyMap<number, number>>();
  const maxMemoTokens = options.maxMemoTokens ?? 100_000;
  const seen = new Int32Array(vocabulary.length);
  let seenGeneration = 0;
  const compare = (token: string, folded: string, id: number): number =>
    foldedTokenSimilarity(token, folded, vocabulary[id] as string, foldedVocabulary[id] as string, floors);
  const similarTokens = (token: string, folded: string): ReadonlyMap<number, number> => {
    const memoised = memo.get(token);
    if (memoised) return memoised;
    seenGeneration += 1;
    const similar = new Map<number, number>();
    forEachBlockingKey(token, folded, twoEditsMinLength, (key) => {
      const slot = blocking.slotOf(key);
      if (slot < 0) return;
      for (let k = blocking.starts[slot]!; k < blocking.ends[slot]!; k += 1) {
        const id = blocking.ids[k]!;
        if (seen[id] === seenGeneration) continue;
        seen[id] = seenGeneration;
        // Loose pairs (negative) do not nominate names; screenParty compares them where they can count.
        const similarity = compare(token, folded, id);
        if (similarity > 0) similar.set(id, similarity);
      }
    });
    if (memo.size >= maxMemoTokens) memo.clear();
    memo.set(token, similar);
    return similar;
  };

  const shares = new Float64Array(names.length * shareStride);
  names.forEach((name, nameId) => {
    for (let k = 1; k <= shareStride; k += 1) shares[nameId * shareStride + k - 1] = name.topShare[Math.min(k, name.topShare.length) - 1]!;
  });

  const entryCounts = new Int32Array(vocabulary.length);
  postingLists.forEach((posting, id) => {
    let last = -1;
    for (const nameId of posting) {
      const entry = names[nameId]!.entry;
      if (entry !== last) entryCounts[id]! += 1;
      last = entry;
    }
  });

  return {
    versions: lists.map((list) => list.version),
    entries,
    names,
    vocabulary,
    foldedVocabulary,
    postings: postingLists.map((posting) => Int32Array.from(posting)),
    entryCounts,
    rareTokenEntries: options.rareTokenEntries ?? Math.max(2, Math.round(entries.length * 0.0005)),
    skeletons: foldedVocabulary.map((folded) => phoneticKey(folded)),
    shares,
    floors,
    frequentTokenNames: options.frequentTokenNames ?? Math.max(50, Math.round(names.length * 0.005)),
    similarTokens,
    compare,
    tokenId: (token) => tokenIds.get(token),
    scratch: { stamp: new Int32Array(names.length), mask: new Int32Array(names.length), generation: 0 },
  };
}

function topShares(weights: Float64Array): Float64Array {
  const descending = Float64Array.from(weights).sort().reverse();
  const total = descending.reduce((sum, weight) => sum + weight, 0);
  let running = 0;
  return descending.map((weight) => (running += weight) / total);
}

/** Blocking keys are 32-bit hashes, sorted with their token ids as `key · tokenIdRange + id` while filing. */
const tokenIdRange = 2 ** 21;

/** The tokens filed under each blocking key: `ids[starts[slotOf(key)] .. ends[slotOf(key)])`. */
interface BlockingTable {
  ids: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  /** The key's slot in an open-addressing table, −1 when no token is filed under it. */
  slotOf(key: number): number;
}

/** Every (key, token) pair of the vocabulary, without repeats, in a hash table by key. */
function fileBlockingKeys(vocabulary: readonly string[], foldedVocabulary: readonly string[], twoEditsMinLength: number): BlockingTable {
  if (vocabulary.length >= tokenIdRange) throw new RangeError(`the screening index holds at most ${tokenIdRange} distinct tokens`);
  let filed = new Float64Array(1 << 20);
  let size = 0;
  vocabulary.forEach((token, id) => {
    forEachBlockingKey(token, foldedVocabulary[id] as string, twoEditsMinLength, (key) => {
      if (size === filed.length) {
        const grown = new Float64Array(filed.length * 2);
        grown.set(filed);
        filed = grown;
      }
      filed[size] = key * tokenIdRange + id;
      size += 1;
    });
  });
  const sorted = filed.subarray(0, size).sort();
  // Split into keys and ids, dropping repeated pairs (a token can give one key several ways).
  const keys = new Uint32Array(size);
  const ids = new Int32Array(size);
  let count = 0;
  let keyCount = 0;
  for (let k = 0; k < size; k += 1) {
    const filedPair = sorted[k]!;
    if (k > 0 && filedPair === sorted[k - 1]) continue;
    const key = Math.floor(filedPair / tokenIdRange);
    if (count === 0 || key !== keys[count - 1]) keyCount += 1;
    keys[count] = key;
    ids[count] = filedPair - key * tokenIdRange;
    count += 1;
  }
  let slots = 1;
  while (slots < keyCount * 2) slots *= 2;
  const mask = slots - 1;
  const slotKeys = new Uint32Array(slots);
  const starts = new Int32Array(slots).fill(-1);
  const ends = new Int32Array(slots);
  let slot = -1;
  for (let k = 0; k < count; k += 1) {
    const key = keys[k]!;
    if (k === 0 || key !== keys[k - 1]) {
      slot = key & mask;
      while (starts[slot]! >= 0) slot = (slot + 1) & mask;
      slotKeys[slot] = key;
      starts[slot] = k;
    }
    ends[slot] = k + 1;
  }
  return {
    ids: ids.slice(0, count),
    starts,
    ends,
    slotOf(key) {
      for (let probe = key & mask; ; probe = (probe + 1) & mask) {
        if (starts[probe]! < 0) return -1;
        if (slotKeys[probe] === key) return probe;
      }
    },
  };
}

const deletionSeed = 0x811c9dc5;
const phoneticSeed = 0x01000193;

/**
 * The keys under which a token is filed and looked up, for its written and its folded form: the
 * form itself, its one-letter deletions (four letters or more), its two-letter deletions (at least
 * `twoEditsMinLength` letters) and its phonetic key (three or more). Two tokens share a deletion
 * key when they are within that many edits of each other (symmetric deletion: "gonzalez" and
 * "gorzaleh" both give "gozale"). Keys are hashes (FNV-1a) of those strings, computed without
 * making them; a collision only adds a token to compare. A key may be visited more than once.
 */
export function forEachBlockingKey(token: string, folded: string, twoEditsMinLength: number, visit: (key: number) => void): void {
  for (let form = 0; form < (token === folded ? 1 : 2); form += 1) {
    const text = form === 0 ? token : folded;
    visit(deletionHash(text, -1, -1));
    if (text.length >= 4) {
      for (let i = 0; i < text.length; i += 1) {
        visit(deletionHash(text, i, -1));
        if (text.length >= twoEditsMinLength) for (let j = i + 1; j < text.length; j += 1) visit(deletionHash(text, i, j));
      }
    }
    if (text.length >= 3 && /[a-z]/.test(text)) {
      const key = phoneticKey(text);
      if (key.length >= 2) visit(hash(key, phoneticSeed));
    }
  }
}

/** FNV-1a of `text` without the letters at `skipA` and `skipB` (−1: none). */
function deletionHash(text: string, skipA: number, skipB: number): number {
  let value = deletionSeed;
  for (let i = 0; i < text.length; i += 1) {
    if (i === skipA || i === skipB) continue;
    value = Math.imul(value ^ text.charCodeAt(i), 0x01000193);
  }
  return value >>> 0;
}

function hash(text: string, seed: number): number {
  let value = seed;
  for (let i = 0; i < text.length; i += 1) value = Math.imul(value ^ text.charCodeAt(i), 0x01000193);
  return value >>> 0;
}
