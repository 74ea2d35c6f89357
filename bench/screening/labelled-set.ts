/**
 * The labelled set the screening bench measures: variants of names that ARE on the lists, each
 * labelled with the entry it must find, and ordinary names that are NOT on the lists. Everything
 * is drawn from a seeded generator, so one seed gives one set.
 */
import { nameKey, tokenizeName, type LoadedList } from '../../src/services/screening/index.ts';
import { givenNames, surnames } from './names.ts';

export const variantKinds = [
  'diacritics-added',
  'diacritics-removed',
  'transliteration',
  'cyrillic-script',
  'reordered',
  'middle-dropped',
  'alias',
  'typo-1',
  'typo-2',
] as const;
export type VariantKind = (typeof variantKinds)[number];

export interface Positive {
  kind: VariantKind;
  query: string;
  /** The listed name the query was made from. */
  source: string;
  list: string;
  entryId: string;
}

export interface NegativeSet {
  names: string[];
  /** Generated names dropped because a listed name contains all their tokens (they ARE listed). */
  excluded: string[];
}

export function buildPositives(lists: readonly LoadedList[], perKind: number, random: () => number): Positive[] {
  const pool = lists.flatMap((list) => list.entries.map((entry) => ({ list: list.version.listId, entry })));
  const positives: Positive[] = [];
  for (const kind of variantKinds) {
    let made = 0;
    for (let attempt = 0; made < perKind && attempt < perKind * 200; attempt += 1) {
      const { list, entry } = pool[Math.floor(random() * pool.length)]!;
      const strongNames = entry.names.filter((name) => !name.weak && name.type !== 'original-script');
      if (strongNames.length === 0) continue;
      let source = strongNames[0]!.name;
      let query: string | undefined;
      if (kind === 'alias') {
        const aliases = strongNames.slice(1);
        if (aliases.length === 0) continue;
        source = aliases[Math.floor(random() * aliases.length)]!.name;
        query = source;
      } else {
        if (kind !== 'diacritics-removed' && random() < 0.3 && strongNames.length > 1)
          source = strongNames[1 + Math.floor(random() * (strongNames.length - 1))]!.name;
        query = makeVariant(kind, source, random);
      }
      if (query === undefined || (query === source && kind !== 'alias')) continue;
      positives.push({ kind, query, source, list, entryId: entry.entryId });
      made += 1;
    }
  }
  return positives;
}

/**
 * Ordinary names: a given name and a surname (a third of them with a second given name). A
 * generated name is dropped when some listed name (primary or alias) contains all its tokens after
 * normalisation: "Maria Garcia" is in "GARCIA ALBERT, Maria Remedios", and screening must flag it,
 * so it cannot count as a false positive. Names that only *resemble* a listed one stay in.
 */
export function buildNegatives(lists: readonly LoadedList[], count: number, random: () => number): NegativeSet {
  const listedTokenSets = lists.flatMap((list) =>
    list.entries.flatMap((entry) => entry.names.map((name) => new Set(tokenizeName(name.name).map((token) => token.folded)))),
  );
  const byToken = new Map<string, Set<string>[]>();
  for (const set of listedTokenSets) for (const token of set) (byToken.get(token) ?? byToken.set(token, []).get(token)!).push(set);
  const isListed = (name: string): boolean => {
    const tokens = tokenizeName(name).map((token) => token.folded);
    const rarest = tokens.map((token) => byToken.get(token) ?? []).sort((a, b) => a.length - b.length)[0] ?? [];
    return rarest.some((set) => tokens.every((token) => set.has(token)));
  };
  const names: string[] = [];
  const excluded: string[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; names.length < count && attempt < count * 50; attempt += 1) {
    const given = pick(givenNames, random);
    const second = random() < 0.33 ? ` ${pick(givenNames, random)}` : '';
    const name = `${given}${second} ${pick(surnames, random)}`;
    const key = nameKey(name);
    if (seen.has(key)) continue;
    seen.add(key);
    if (isListed(name)) excluded.push(name);
    else names.push(name);
  }
  return { names, excluded };
}

function makeVariant(kind: VariantKind, name: string, random: () => number): string | undefined {
  const words = name.split(/[\s,]+/).filter(Boolean);
  switch (kind) {
    case 'diacritics-added':
      return addDiacritics(name, random);
    case 'diacritics-removed': {
      const stripped = name.normalize('NFD').replace(/\p{M}/gu, '');
      return stripped === name ? undefined : stripped;
    }
    case 'transliteration':
      return transliterate(name, random);
    case 'cyrillic-script':
      return toCyrillic(name);
    case 'reordered': {
      if (words.length < 2) return undefined;
      const shuffled = [...words];
      for (let tries = 0; tries < 5 && shuffled.join(' ') === words.join(' '); tries += 1) shuffle(shuffled, random);
      return shuffled.join(' ');
    }
    case 'middle-dropped': {
      const full = words.filter((word) => tokenizeName(word).some((token) => token.weight === 1 && token.text.length > 1));
      if (full.length < 3) return undefined;
      const dropped = full[1 + Math.floor(random() * (full.length - 2))]!;
      return words.filter((word) => word !== dropped).join(' ');
    }
    case 'typo-1':
      return typos(words, 1, random);
    case 'typo-2':
      return typos(words, 2, random);
    case 'alias':
      return name;
  }
}

const accents: Record<string, string[]> = {
  a: ['á', 'à', 'ä', 'â'],
  e: ['é', 'è', 'ë'],
  i: ['í', 'ï'],
  o: ['ó', 'ö', 'ô'],
  u: ['ú', 'ü'],
  c: ['ç'],
  n: ['ñ'],
  s: ['š', 'ş'],
  z: ['ž'],
  A: ['Á', 'Ä'],
  E: ['É'],
  O: ['Ö'],
  U: ['Ü'],
};

function addDiacritics(name: string, random: () => number): string | undefined {
  let changed = false;
  const result = [...name]
    .map((char) => {
      const options = accents[char];
      if (!options || random() > 0.4) return char;
      changed = true;
      return options[Math.floor(random() * options.length)]!;
    })
    .join('');
  return changed ? result : undefined;
}

/** Spellings that romanisations of the same name differ by, applied in both directions. */
const transliterations: [RegExp, string][] = [
  [/mohammed/gi, 'Muhammad'],
  [/muhammad/gi, 'Mohamed'],
  [/mohamed/gi, 'Mohammad'],
  [/mohammad/gi, 'Muhammed'],
  [/ou/gi, 'u'],
  [/oo/gi, 'u'],
  [/ee/gi, 'i'],
  [/ph/gi, 'f'],
  [/q/gi, 'k'],
  [/dh/gi, 'z'],
  [/ss/gi, 's'],
  [/yu/gi, 'iu'],
  [/ya/gi, 'ia'],
  [/abdul/gi, 'Abdel'],
  [/abdel/gi, 'Abdul'],
  [/hussein/gi, 'Husayn'],
  [/husayn/gi, 'Hussain'],
  [/yusuf/gi, 'Youssef'],
  [/ahmed/gi, 'Ahmad'],
  [/ahmad/gi, 'Ahmed'],
  [/kh/gi, 'h'],
  [/ei/gi, 'ey'],
  [/ai/gi, 'ay'],
  [/ay/gi, 'ai'],
  [/j/gi, 'dj'],
  [/sh/gi, 'ch'],
  [/w/gi, 'v'],
  [/y/gi, 'i'],
];

/** One token of four letters or more, respelled by one rule that applies to it (romanisations differ token by token). */
function transliterate(name: string, random: () => number): string | undefined {
  const words = name.split(/(\s+|,|-)/);
  const candidates = words.flatMap((word, index) =>
    /^\p{L}{4,}$/u.test(word)
      ? transliterations
          .filter(([pattern]) => {
            pattern.lastIndex = 0;
            return pattern.test(word);
          })
          .map((rule) => ({ index, rule }))
      : [],
  );
  if (candidates.length === 0) return undefined;
  const {
    index,
    rule: [pattern, replacement],
  } = candidates[Math.floor(random() * candidates.length)]!;
  pattern.lastIndex = 0;
  words[index] = words[index]!.replace(pattern, (found) =>
    found === found.toUpperCase()
      ? replacement.toUpperCase()
      : found[0] === found[0]!.toUpperCase()
        ? replacement[0]!.toUpperCase() + replacement.slice(1).toLowerCase()
        : replacement.toLowerCase(),
  );
  return words.join('');
}

const cyrillic: [string, string][] = [
  ['shch', 'щ'],
  ['kh', 'х'],
  ['zh', 'ж'],
  ['ch', 'ч'],
  ['sh', 'ш'],
  ['ts', 'ц'],
  ['yu', 'ю'],
  ['ya', 'я'],
  ['yo', 'ё'],
  ['a', 'а'],
  ['b', 'б'],
  ['v', 'в'],
  ['g', 'г'],
  ['d', 'д'],
  ['e', 'е'],
  ['z', 'з'],
  ['i', 'и'],
  ['y', 'й'],
  ['k', 'к'],
  ['l', 'л'],
  ['m', 'м'],
  ['n', 'н'],
  ['o', 'о'],
  ['p', 'п'],
  ['r', 'р'],
  ['s', 'с'],
  ['t', 'т'],
  ['u', 'у'],
  ['f', 'ф'],
  ['h', 'х'],
  ['c', 'к'],
  ['q', 'к'],
  ['w', 'в'],
  ['x', 'кс'],
  ['j', 'дж'],
];

/** The name written in Cyrillic letters, as a Russian-language document would: the engine must read it back. */
function toCyrillic(name: string): string | undefined {
  let lower = name.toLowerCase();
  if (!/[a-z]/.test(lower)) return undefined;
  for (const [latin, letter] of cyrillic) lower = lower.split(latin).join(letter);
  return lower.replace(/(^|[\s,-])(\p{L})/gu, (_, before: string, first: string) => before + first.toUpperCase());
}

function typos(words: string[], count: number, random: () => number): string | undefined {
  const editable = words.map((word, index) => ({ word, index })).filter(({ word }) => /^[\p{L}]{4,}$/u.test(word));
  if (editable.length === 0) return undefined;
  const letters = words.join('').replace(/[^\p{L}]/gu, '').length;
  // Two edits in a name of fewer than ten letters make another name, not a typo.
  if (count === 2 && letters < 10) return undefined;
  const result = [...words];
  for (let edit = 0; edit < count; edit += 1) {
    const { index } = editable[Math.floor(random() * editable.length)]!;
    result[index] = typo(result[index]!, random);
  }
  return result.join(' ');
}

function typo(word: string, random: () => number): string {
  const position = Math.floor(random() * word.length);
  const letter = 'abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 26)]!;
  const isUpper = word === word.toUpperCase();
  const newLetter = isUpper ? letter.toUpperCase() : letter;
  switch (Math.floor(random() * 4)) {
    case 0:
      return word.slice(0, position) + newLetter + word.slice(position + 1);
    case 1:
      return word.length > 4
        ? word.slice(0, position) + word.slice(position + 1)
        : word.slice(0, position) + newLetter + word.slice(position + 1);
    case 2:
      return word.slice(0, position) + newLetter + word.slice(position);
    default: {
      const at = Math.min(position, word.length - 2);
      return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
    }
  }
}

function pick<T>(values: readonly T[], random: () => number): T {
  return values[Math.floor(random() * values.length)]!;
}

function shuffle<T>(values: T[], random: () => number): void {
  for (let i = values.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
}
