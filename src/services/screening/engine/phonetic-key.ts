/**
 * A phonetic key for blocking: the token's consonant skeleton after folding the spellings that
 * transliterations of the same name differ by. Mohammed, Muhammad, Mohamad → "mmd"; Hussein,
 * Husayn, Hossain → "hsn"; Qaddafi, Gaddafi, Kadhafi → "kdf"; Yusuf, Youssef → "asf".
 *
 * It decides which vocabulary tokens are *compared* (Jaro-Winkler decides whether they are
 * similar), so it may be generous. It replaces talisman's Double Metaphone, which was a third of
 * the index build time and keys English pronunciation rather than transliteration. screen.ts also
 * reads it as the name's consonant skeleton: two listed spellings of a person's name with the same
 * skeleton are taken for transliterations of one name ("Mohamed" / "Muhammad"), with different
 * ones for two names ("Chen" / "Cheng").
 */
const digraphs: [RegExp, string][] = [
  [/ph/g, 'f'],
  [/ck/g, 'k'],
  [/kh/g, 'k'],
  [/gh/g, 'g'],
  [/dh/g, 'd'],
  [/th/g, 't'],
  [/sch/g, 's'],
  [/sh/g, 's'],
  [/ch/g, 's'],
  [/zh/g, 'j'],
  [/dj/g, 'j'],
  [/dz/g, 'j'],
  [/ts/g, 's'],
  [/tz/g, 's'],
  [/ks/g, 'x'],
];

const letters: Record<string, string> = { q: 'k', c: 'k', g: 'k', z: 's', v: 'f', w: '', y: '', h: '', a: '', e: '', i: '', o: '', u: '' };

/** Memo of `phoneticKey` (a pure function), cleared when full. */
const keys = new Map<string, string>();
const maxKeys = 200_000;

export function phoneticKey(token: string): string {
  const known = keys.get(token);
  if (known !== undefined) return known;
  const key = skeleton(token);
  if (keys.size >= maxKeys) keys.clear();
  keys.set(token, key);
  return key;
}

function skeleton(token: string): string {
  let folded = token;
  for (const [pattern, replacement] of digraphs) folded = folded.replace(pattern, replacement);
  // An initial vowel (or y, w) is kept as one class, "a": Osama / Usama → "asm", Yusuf / Youssef → "asf".
  const first = folded[0] ?? '';
  let key = 'aeiouyw'.includes(first) ? 'a' : first === 'h' ? 'h' : (letters[first] ?? first);
  let previous = key;
  for (let i = 1; i < folded.length; i += 1) {
    const mapped = letters[folded[i] as string] ?? (folded[i] as string);
    // Doubled letters collapse ("hassan"); a vowel between two equal consonants keeps both ("mhmmd" → "mmd").
    if (mapped !== '' && mapped !== previous) key += mapped;
    previous = mapped;
  }
  return key;
}
