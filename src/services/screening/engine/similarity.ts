/**
 * Token similarity: Jaro-Winkler (talisman) with floors that grow as tokens get shorter, because
 * two three-letter tokens that share two letters are different names, not a typo ("li" / "lin").
 * Below the floor a pair counts as no match at all (0), so weak resemblances cannot add up.
 */
import jaroWinkler from 'talisman/metrics/jaro-winkler.js';

/** Score given to an initial ("j") against a token it abbreviates ("john"). */
export const initialSimilarity = 0.85;

export interface SimilarityFloors {
  /** Minimum Jaro-Winkler for tokens of 4 letters or more. */
  long: number;
  /** Minimum for a three-letter token. */
  threeLetter: number;
}

export const defaultSimilarityFloors: SimilarityFloors = { long: 0.8, threeLetter: 0.9 };

/** The better of the as-written and the spelling-folded comparison (see normalize.ts). */
export function foldedTokenSimilarity(a: string, aFolded: string, b: string, bFolded: string, floors: SimilarityFloors = defaultSimilarityFloors): number {
  if (a === b || aFolded === bFolded) return 1;
  const written = tokenSimilarity(a, b, floors);
  return aFolded === a && bFolded === b ? written : Math.max(written, tokenSimilarity(aFolded, bFolded, floors));
}

export function tokenSimilarity(a: string, b: string, floors: SimilarityFloors = defaultSimilarityFloors): number {
  if (a === b) return 1;
  const shorter = Math.min(a.length, b.length);
  if (shorter === 1) return a[0] === b[0] ? initialSimilarity : 0;
  if (shorter === 2) return 0;
  const similarity = jaroWinkler(a, b);
  return similarity >= (shorter === 3 ? floors.threeLetter : floors.long) ? similarity : 0;
}
