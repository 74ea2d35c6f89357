/**
 * Name normalisation: what makes "Dr. Ayman al-Ẓawāhirī", "AL ZAWAHIRI, Ayman" and "Айман
 * Аз-Завахири" comparable. Both the list names and the party name go through the same steps, so
 * every rule here is symmetric:
 *
 * 1. Transliterate to ASCII with any-ascii (diacritics, Cyrillic, Greek, Arabic, CJK …; Cyrillic
 *    "ё" as "yo"), lower-case.
 * 2. Drop apostrophes and dots inside words ("O'Brien" → "obrien", "S.A." → "sa"); every other
 *    non-alphanumeric character separates tokens ("al-Zawahiri" → "al zawahiri").
 * 3. Drop honorifics and titles anywhere (Mr, Dr, Sheikh, Haji, General …) and legal-form suffixes
 *    at the end (Ltd, LLC, GmbH, S.A. de C.V. …, and the long ones mistyped: "LIMTED",
 *    "COMAPNY"), unless nothing would be left.
 * 4. Mark particles (al, bin, abu, de, van …) so they weigh less: they are in half the names.
 * 5. Keep beside each token its spelling-folded form (`foldSpelling`): "Dzhasso" and "Jasso",
 *    "Khussain" and "Hussain", "Youssef" and "Yusuf" fold to the same token, which is what a reader
 *    who knows the name does. The matcher takes the better of the two comparisons, because folding
 *    can also turn one typo into two ("Guaalest" → "gualest" against "guadalest").
 *
 * Token order is not kept as meaning: the matcher compares token sets. The word lists below are
 * written as people spell them and folded like the tokens, so "COMPANI" is a legal form too.
 */
import anyAscii from 'any-ascii';
import { withinEdits } from './similarity.ts';

export interface NameToken {
  /** ASCII, lower case, as written. */
  text: string;
  /** `text` with spelling variants folded (`foldSpelling`). */
  folded: string;
  /** How much the token counts in a name's coverage: particles and initials count less. */
  weight: number;
}

export const particleWeight = 0.25;
export const initialWeight = 0.5;

/** Spelling variants folded by `foldSpelling`, applied in this order. */
const spellings: [RegExp, string][] = [
  [/dzh|dj/g, 'j'],
  [/kh/g, 'h'],
  [/gh/g, 'g'],
  [/ph/g, 'f'],
  [/sch/g, 'sh'],
  [/tch/g, 'ch'],
  [/ck/g, 'k'],
  [/dh/g, 'd'],
  [/th/g, 't'],
  [/q/g, 'k'],
  [/c(?!h)/g, 'k'],
  [/x/g, 'ks'],
  [/w/g, 'v'],
  [/(?<=.)y/g, 'i'],
  [/ou|oo/g, 'u'],
  [/ee/g, 'i'],
  [/([a-z])\1+/g, '$1'],
];

/** Memo of `foldSpelling` (a pure function), cleared when full. */
const foldedSpellings = new Map<string, string>();
const maxFoldedSpellings = 200_000;

/** Titles and honorifics, dropped wherever they appear. Names that are also given names (Amir, Sayed) are not here. */
const honorifics = foldedSet([
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'dr',
  'doctor',
  'prof',
  'professor',
  'sir',
  'dame',
  'lord',
  'lady',
  'rev',
  'reverend',
  'sheikh',
  'shaikh',
  'shaykh',
  'sheik',
  'cheikh',
  'shaik',
  'haji',
  'hajji',
  'hadji',
  'hadj',
  'alhaj',
  'alhaji',
  'alhajj',
  'hajj',
  'mullah',
  'mulla',
  'maulana',
  'mawlana',
  'maulvi',
  'mawlawi',
  'mawlavi',
  'molvi',
  'qari',
  'ustadh',
  'ustad',
  'general',
  'gen',
  'colonel',
  'col',
  'major',
  'maj',
  'captain',
  'capt',
  'lieutenant',
  'lt',
  'commander',
  'cmdr',
  'brigadier',
  'admiral',
  'jr',
  'sr',
  'esq',
  'phd',
]);

/** Legal forms, dropped only as a run at the end of a name ("CO., LTD.", "S.A. DE C.V."). */
const companySuffixes = foldedSet([
  'ltd',
  'limited',
  'llc',
  'llp',
  'lp',
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'co',
  'company',
  'plc',
  'pte',
  'pty',
  'pvt',
  'gmbh',
  'ag',
  'kg',
  'kgaa',
  'mbh',
  'ug',
  'ev',
  'sa',
  'sas',
  'sarl',
  'sl',
  'srl',
  'spa',
  'sapi',
  'sab',
  'cv',
  'rl',
  'ltda',
  'cia',
  'eirl',
  'saic',
  'sac',
  'saa',
  'bv',
  'nv',
  'vof',
  'oy',
  'oyj',
  'ab',
  'asa',
  'aps',
  'sro',
  'kft',
  'zrt',
  'nyrt',
  'doo',
  'dd',
  'ad',
  'ead',
  'sp',
  'zoo',
  'jsc',
  'ojsc',
  'pjsc',
  'cjsc',
  'ooo',
  'zao',
  'oao',
  'pao',
  'tov',
  'fze',
  'fzco',
  'fzc',
  'fzllc',
  'wll',
  'bsc',
  'qsc',
  'saog',
  'spc',
  'sdn',
  'bhd',
  'tbk',
  'sae',
  'as',
  'oo',
]);

/** Connectives inside a run of legal forms ("S.A. DE C.V.", "Sp. z o.o."). */
const suffixConnectives = foldedSet(['de', 'z', 'o', 'y', 'and']);

/** Particles: kept (they distinguish "abu" from "bin"), but weigh little. */
const particles = foldedSet([
  'al',
  'el',
  'ul',
  'bin',
  'ben',
  'ibn',
  'bint',
  'binti',
  'bte',
  'abu',
  'abou',
  'abo',
  'ould',
  'wuld',
  'de',
  'da',
  'di',
  'do',
  'du',
  'del',
  'della',
  'der',
  'den',
  'dos',
  'das',
  'la',
  'le',
  'van',
  'von',
  'y',
  'e',
  'of',
  'the',
  'and',
  'for',
]);

const asciiOnly = /^[\x00-\x7f]*$/;

/**
 * Cyrillic "ё" marks the sound "yo" (Пётр → Pyotr, Семён → Semyon, Ён → Yong in Korean names);
 * any-ascii reads it as a plain "e", which loses the "y" that the Latin spellings keep.
 */
const cyrillicYo = /[ёЁ]/g;

/** ASCII, lower case, apostrophes and inner dots removed, everything else a separator. */
export function foldName(raw: string): string {
  // Most list names are ASCII already; any-ascii is the expensive step, so skip it for them.
  return (asciiOnly.test(raw) ? raw : anyAscii(raw.replace(cyrillicYo, 'yo')))
    .toLowerCase()
    .replace(/['`.]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The tokens a name is compared by, in the order written (order carries no meaning downstream). */
export function tokenizeName(raw: string): NameToken[] {
  const folded = foldName(raw);
  if (folded === '') return [];
  const all = folded.split(' ');
  let texts = all.filter((token) => !honorifics.has(foldSpelling(token)));
  if (texts.length === 0) texts = all;
  texts = dropLegalForms(texts);
  return texts.map((text) => ({ text, folded: foldSpelling(text), weight: tokenWeight(text) }));
}

/** A key that is the same for the same name whatever the order, case or diacritics: keys the allow list. */
export function nameKey(raw: string): string {
  return tokenizeName(raw)
    .map((token) => token.folded)
    .sort()
    .join(' ');
}

/**
 * One spelling for the variants romanisations of a name differ by: dzh/dj → j, kh → h, q → k,
 * c → k (not in "ch"), x → ks (Cyrillic has no x: Alexander is Александр, read back "Aleksandr"),
 * ph → f, w → v, y → i (not first), ou/oo → u, ee → i, doubled letters once. Applied to
 * both sides, it cannot make two different spellings of one name differ more.
 */
export function foldSpelling(token: string): string {
  const known = foldedSpellings.get(token);
  if (known !== undefined) return known;
  let folded = token;
  for (const [pattern, replacement] of spellings) folded = folded.replace(pattern, replacement);
  // Sixteen regular expressions per call add up over 25,000 list names and every screen: memoised.
  if (foldedSpellings.size >= maxFoldedSpellings) foldedSpellings.clear();
  foldedSpellings.set(token, folded);
  return folded;
}

function foldedSet(words: string[]): Set<string> {
  return new Set(words.map((word) => foldSpelling(word)));
}

export function tokenWeight(text: string): number {
  if (particles.has(foldSpelling(text))) return particleWeight;
  if (text.length === 1) return initialWeight;
  return 1;
}

/**
 * Legal forms go wherever they stand ("LLC GEFEST-M" is "GEFEST-M LLC"); the connectives of a
 * run of them ("S.A. DE C.V.") only at the end, where they cannot be part of the name.
 */
function dropLegalForms(texts: string[]): string[] {
  // A connective at the end goes only in a name that has a legal form somewhere ("PATRACA DE C.V.",
  // or reordered "S.A. C.V. GEOFARMA DE"): a person's "MARIA DE" keeps it.
  const hasLegalForm = texts.some((text) => isLegalForm(text, false)) || isLegalForm(texts[texts.length - 1] as string, true);
  let end = texts.length;
  while (end > 1) {
    const text = texts[end - 1] as string;
    if (!isLegalForm(text, true) && !(hasLegalForm && suffixConnectives.has(foldSpelling(text)))) break;
    end -= 1;
  }
  const kept = texts.slice(0, end).filter((token) => !isLegalForm(token, false));
  return kept.length > 0 ? kept : texts.slice(0, Math.max(1, end));
}

/** The legal forms of six letters or more, folded: at the end of a name, a token one edit from one is that word mistyped. */
const longLegalForms = [...companySuffixes].filter((form) => form.length >= 6);

/**
 * A legal form; with `mistyped`, also one of the long ones with a typo ("LIMTED", "COMAPNY").
 * Only at the end of a name: elsewhere such a token is as likely a word of the name
 * ("CORPORACION HANDAL", "LA COMPANIA GENERAL DE NIQUEL").
 */
function isLegalForm(text: string, mistyped: boolean): boolean {
  const folded = foldSpelling(text);
  if (companySuffixes.has(folded)) return true;
  return mistyped && folded.length >= 6 && longLegalForms.some((form) => withinEdits(folded, form, 1));
}
