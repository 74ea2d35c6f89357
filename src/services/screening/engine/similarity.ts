/**
 * Token similarity: Jaro-Winkler (talisman) with floors that grow as tokens get shorter, because
 * two three-letter tokens that share two letters are different names, not a typo ("li" / "lin").
 * Below the floor a pair counts as no match at all (0), so weak resemblances cannot add up.
 *
 * Above the floor a pair is *close* or only *loose*. Close: at most as many edits apart
 * (Damerau-Levenshtein, as written or spelling-folded) as the shorter token's length tolerates —
 * one for three to five letters, two from six, as fuzzy search engines allow — which is what
 * typing or transliterating a name does to it. Loose: Jaro-Winkler finds them alike but more
 * letters differ ("Jing" / "Jian", "Linh" / "Lyahin", "Thabo" / "Utao"), or they are the masculine
 * and feminine form of one Slavic surname ("Ivanov" / "Ivanova": two people of one family, not a
 * misspelling). A loose pair is returned negated; name-score.ts counts it only where other tokens
 * already agree.
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

/** Edits tolerated between two tokens whose shorter one has `length` letters (see above). */
export function editTolerance(length: number): number {
  return length >= 6 ? 2 : length >= 3 ? 1 : 0;
}

/**
 * The better of the as-written and the spelling-folded comparison (see normalize.ts), negated
 * when the pair is only loose (see above): > 0 close, < 0 loose, 0 no match.
 */
export function foldedTokenSimilarity(
  a: string,
  aFolded: string,
  b: string,
  bFolded: string,
  floors: SimilarityFloors = defaultSimilarityFloors,
): number {
  if (a === b || aFolded === bFolded) return 1;
  const written = tokenSimilarity(a, b, floors);
  const folded = aFolded === a && bFolded === b ? written : tokenSimilarity(aFolded, bFolded, floors);
  const similarity = Math.max(written, folded);
  if (similarity === 0) return 0;
  const close =
    (Math.min(a.length, b.length) === 1 ||
      withinEdits(a, b, editTolerance(Math.min(a.length, b.length))) ||
      withinEdits(aFolded, bFolded, editTolerance(Math.min(aFolded.length, bFolded.length)))) &&
    !genderedForms(a, b);
  return close ? similarity : -similarity;
}

export function tokenSimilarity(a: string, b: string, floors: SimilarityFloors = defaultSimilarityFloors): number {
  if (a === b) return 1;
  const shorter = Math.min(a.length, b.length);
  if (shorter === 1) return a[0] === b[0] ? initialSimilarity : 0;
  if (shorter === 2) return 0;
  const similarity = jaroWinkler(a, b);
  return similarity >= (shorter === 3 ? floors.threeLetter : floors.long) ? similarity : 0;
}

const rowLength = 64;
const rows: Int32Array[] = [new Int32Array(rowLength + 1), new Int32Array(rowLength + 1), new Int32Array(rowLength + 1)];

/**
 * Whether `a` and `b` are at most `max` edits apart (optimal string alignment: insertions,
 * deletions, substitutions and transpositions of neighbours). Only the diagonal band of width
 * 2·max + 1 is computed, and it stops as soon as a row is over `max`.
 */
export function withinEdits(a: string, b: string, max: number): boolean {
  if (Math.abs(a.length - b.length) > max) return false;
  if (a === b) return true;
  if (b.length >= rowLength || max >= rowLength) return editDistance(a, b) <= max;
  const over = max + 1;
  let [twoBack, previous, current] = rows as [Int32Array, Int32Array, Int32Array];
  let spare: Int32Array;
  for (let j = 0; j <= Math.min(b.length, max + 1); j += 1) previous[j] = Math.min(j, over);
  for (let i = 1; i <= a.length; i += 1) {
    const low = Math.max(1, i - max);
    const high = Math.min(b.length, i + max);
    // Just outside the band a cell is "over": the next rows read one cell past it on each side.
    current[low - 1] = low === 1 ? Math.min(i, over) : over;
    if (high < b.length) current[high + 1] = over;
    let rowMin = current[low - 1]!;
    for (let j = low; j <= high; j += 1) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1))
        value = Math.min(value, twoBack[j - 2]! + 1);
      if (value > over) value = over;
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return false;
    spare = twoBack;
    twoBack = previous;
    previous = current;
    current = spare;
  }
  return previous[b.length]! <= max;
}

/** The full optimal string alignment distance: for tokens too long for `withinEdits`' scratch rows (no name has them), and the reference its tests check it against. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** Masculine and feminine endings of Slavic surnames: Ivanov / Ivanova, Kowalski / Kowalska. */
const genderedEndings: [string, string][] = [
  ['ov', 'ova'],
  ['ev', 'eva'],
  ['in', 'ina'],
  ['yn', 'yna'],
  ['sky', 'skaya'],
  ['skiy', 'skaya'],
  ['skii', 'skaia'],
  ['ski', 'ska'],
  ['cki', 'cka'],
  ['ckiy', 'ckaya'],
];

/** Whether one token is the other's surname in the other gender (stem of three letters or more). */
export function genderedForms(a: string, b: string): boolean {
  for (const [masculine, feminine] of genderedEndings) {
    if (isGenderPair(a, b, masculine, feminine) || isGenderPair(b, a, masculine, feminine)) return true;
  }
  return false;
}

function isGenderPair(masculineForm: string, feminineForm: string, masculine: string, feminine: string): boolean {
  const stem = masculineForm.length - masculine.length;
  return (
    stem >= 3 &&
    masculineForm.endsWith(masculine) &&
    feminineForm.endsWith(feminine) &&
    feminineForm.length - feminine.length === stem &&
    masculineForm.startsWith(feminineForm.slice(0, stem))
  );
}
