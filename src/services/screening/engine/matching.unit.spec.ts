import { beforeAll, describe, expect, it } from 'vitest';
import { buildScreeningIndex, loadListSource, screenParty, standardSources, type ScreeningIndex } from '../index.ts';
import { sanctionsDataDirectory } from '../testing.ts';
import { rareContextEdits, scoreName } from './name-score.ts';
import { foldSpelling, tokenizeName } from './normalize.ts';
import { forEachBlockingKey } from './screening-index.ts';
import { editDistance, editTolerance, foldedTokenSimilarity, genderedForms, withinEdits } from './similarity.ts';

function fold(token: string): [string, string] {
  return [token, foldSpelling(token)];
}

function similarity(a: string, b: string): number {
  return foldedTokenSimilarity(...fold(a), ...fold(b));
}

function blockingKeys(token: string): Set<number> {
  const keys = new Set<number>();
  forEachBlockingKey(token, foldSpelling(token), 6, (key) => keys.add(key));
  return keys;
}

describe('token similarity: close and loose pairs', () => {
  it('counts edits as optimal string alignment does, stopping early', () => {
    let state = 20260227;
    const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const word = () => Array.from({ length: 1 + Math.floor(random() * 8) }, () => 'abcd'[Math.floor(random() * 4)]).join('');
    for (let n = 0; n < 3000; n += 1) {
      const [a, b] = [word(), word()];
      const distance = editDistance(a, b);
      for (const max of [0, 1, 2, 3]) expect(withinEdits(a, b, max), `${a} / ${b} within ${max}`).toBe(distance <= max);
    }
  });

  it('tolerates one edit from three letters and two from six', () => {
    expect([2, 3, 5, 6, 12].map(editTolerance)).toEqual([0, 1, 1, 2, 2]);
  });

  it('keeps typos and transliterations close, and marks names that differ more as loose', () => {
    expect(similarity('gonzalez', 'gorzaleh')).toBeGreaterThan(0.8); // two typos in eight letters
    expect(similarity('robert', 'robrt')).toBeGreaterThan(0.9);
    expect(similarity('aleksandr', 'alexandr')).toBe(1); // x and ks fold alike
    expect(similarity('j', 'john')).toBe(0.85); // an initial
    expect(similarity('jing', 'jian')).toBeLessThan(0); // two edits in four letters: another name
    expect(similarity('damrm', 'damir')).toBeLessThan(0);
    expect(similarity('sergei', 'ivanov')).toBe(0);
  });

  it('marks the masculine and feminine form of a Slavic surname as loose, though one letter apart', () => {
    expect(genderedForms('ivanov', 'ivanova')).toBe(true);
    expect(genderedForms('kowalska', 'kowalski')).toBe(true);
    expect(genderedForms('ivanov', 'ivanovo')).toBe(false);
    expect(genderedForms('lin', 'lina')).toBe(false); // a stem of two letters is no surname stem
    expect(similarity('ivanov', 'ivanova')).toBeLessThan(0);
    expect(similarity('petrov', 'petrob')).toBeGreaterThan(0);
  });
});

describe('blocking keys', () => {
  it('file tokens of six letters or more under their two-letter deletions, shorter ones under one-letter deletions', () => {
    const shared = (a: string, b: string) => [...blockingKeys(a)].some((key) => blockingKeys(b).has(key));
    expect(shared('gonzalez', 'gorzaleh')).toBe(true); // two substitutions
    expect(shared('abdallah', 'adllah')).toBe(true); // two deletions
    expect(shared('jian', 'jain')).toBe(true); // a transposition
    expect(shared('karim', 'kasin')).toBe(false); // two substitutions in five letters
  });
});

describe('scoreName', () => {
  const full = (count: number) => Array.from({ length: count }, () => 1);
  const matrix = (values: Record<string, number>) => (party: number, listed: number) => values[`${party}${listed}`] ?? 0;

  it('counts a loose pair only where two other full tokens match closely', () => {
    const withContext = scoreName(full(3), full(3), matrix({ '00': 1, '11': 1, '22': -0.85 }));
    expect(withContext.pairs.map((pair) => pair.loose)).toEqual([false, false, true]);
    expect(withContext.score).toBeGreaterThan(0.9);
    const alone = scoreName(full(2), full(2), matrix({ '00': 1, '11': -0.85 }));
    expect(alone.pairs).toHaveLength(1);
    expect(alone.score).toBe(0.5);
  });

  it('counts a loose pair of at most two edits beside one exact token that is rare on the lists', () => {
    const asked: number[] = [];
    const similarities = (party: number, listed: number, looseEdits: number) => {
      if (party === 1 && listed === 1) asked.push(looseEdits);
      return party === listed ? (party === 0 ? 1 : -0.9) : 0;
    };
    expect(scoreName(full(2), full(2), similarities, undefined, () => false).score).toBe(0.5);
    const rare = scoreName(full(2), full(2), similarities, undefined, (listed) => listed === 0);
    expect(rare.score).toBeGreaterThan(0.9);
    expect(asked).toEqual([0, 0, rareContextEdits]);
  });

  it('counts only exact tokens when the party leaves out part of the listed name', () => {
    // "VARGAS Roberto" against "VARGAS GUTIERREZ, Roberto": a dropped middle name.
    expect(scoreName(full(2), full(3), matrix({ '00': 1, '12': 1 })).score).toBeCloseTo(0.917, 3);
    // "Robert Vargas": a dropped token and a different token besides.
    const both = scoreName(full(2), full(3), matrix({ '00': 1, '12': 0.97 }));
    expect(both.pairs).toHaveLength(1);
    expect(both.score).toBeLessThan(0.86);
  });

  it('counts a token written twice in the listed name once', () => {
    // "Wenceslao" against "ALVAREZ ALVAREZ, Wenceslao".
    expect(scoreName([1], full(3), matrix({ '02': 1 }), [7, 7, 9]).score).toBe(0.875);
    // "AUGN Aung" against "AUNG, Aung": the typo pairs with the second "Aung".
    expect(scoreName(full(2), full(2), matrix({ '00': 0.93, '01': 0.93, '10': 1, '11': 1 }), [4, 4]).score).toBeGreaterThan(0.93);
  });
});

describe('normalisation', () => {
  it('reads Cyrillic ё as "yo"', () => {
    expect(tokenizeName('Ри, Су Ёнг').map((token) => token.text)).toEqual(['ri', 'su', 'yong']);
  });

  it('drops a long legal form mistyped at the end of a name, and only there', () => {
    expect(tokenizeName('KEENCLOUD LIMITD').map((token) => token.text)).toEqual(['keencloud']);
    expect(tokenizeName('SABALAN COMPAYN').map((token) => token.text)).toEqual(['sabalan']);
    expect(tokenizeName('CORPORACION HANDAL S. DE R.L.').map((token) => token.text)).toEqual(['corporacion', 'handal', 's']);
    expect(tokenizeName('ATLAS COMPASS').map((token) => token.text)).toEqual(['atlas', 'compass']);
  });
});

describe('screenParty against the real lists: typos, transliterations and namesakes', () => {
  let index: ScreeningIndex;
  beforeAll(async () => {
    index = buildScreeningIndex(await Promise.all(standardSources(sanctionsDataDirectory()).map((source) => loadListSource(source))));
  });
  const bandFor = (name: string, list: string, entryId: string) =>
    screenParty(index, { name }).matches.find((match) => match.list === list && match.entryId === entryId)?.band ?? 'not found';

  it('calls a token in at most 0.05 % of the entries rare', () => {
    expect(index.rareTokenEntries).toBe(5);
  });

  it('finds names with two typos, in one long token or spread over short ones', () => {
    expect(bandFor('TORRES GORZALEH Fernando', 'OFAC-SDN', '18127')).toBe('HIGH');
    const spread = screenParty(index, { name: 'RUIZ PGEZ Leonardo' }).matches.find((match) => match.entryId === '18982');
    expect(spread?.band).toBe('HIGH');
    expect(spread?.reasons[0]).toContain('pgez≈perez 0.80 (loose)');
    expect(bandFor('DOSEN Damrm', 'OFAC-SDN', '7677')).toBe('HIGH'); // "Dosen" is in one entry
    expect(bandFor('INTRECONSULT', 'OFAC-SDN', '1043')).toBe('HIGH');
  });

  it('reads a Korean name written in Cyrillic with ё', () => {
    expect(bandFor('Ри, Су Ёнг', 'OFAC-SDN', '21735')).toBe('HIGH');
  });

  it('finds a name whose legal form is mistyped', () => {
    expect(bandFor('KEENCLOUD LIMITD', 'OFAC-SDN', '8383')).toBe('HIGH');
  });

  it('lets ordinary names one letter from a listed name pass as LOW, and still finds the listed ones', () => {
    for (const name of ['Robert Vargas', 'Sergei Ivanova', 'Jing Zhang', 'Tereza Chen', 'Xiaoming Yang', 'Anna Jones']) {
      expect(screenParty(index, { name }).band, name).toBe('LOW');
    }
    expect(bandFor('Roberto Vargas', 'OFAC-SDN', '11894')).toBe('MEDIUM'); // a dropped middle name
    expect(bandFor('Sergei Ivanov', 'OFAC-SDN', '16688')).toBe('HIGH');
    expect(bandFor('Zhang Jian', 'OFAC-SDN', '21042')).toBe('HIGH');
    expect(bandFor('Cheng Teresa', 'OFAC-SDN', '29243')).toBe('HIGH');
  });
});
