import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildScreeningIndex,
  createAllowList,
  loadListSource,
  screenParty,
  screeningOptions,
  standardSources,
  type LoadedList,
  type ScreeningIndex,
} from './index.ts';
import { pepSampleFile, sanctionsDataDirectory } from './testing.ts';

// The real OFAC SDN and UN Consolidated lists, loaded once for the file (about 2 s).
let sanctions: LoadedList[];
let index: ScreeningIndex;

beforeAll(async () => {
  sanctions = await Promise.all(standardSources(sanctionsDataDirectory()).map((source) => loadListSource(source)));
  index = buildScreeningIndex(sanctions);
});

function found(name: string, list: string, entryId: string, party: Record<string, string> = {}) {
  const result = screenParty(index, { name, ...party });
  return { result, match: result.matches.find((match) => match.list === list && match.entryId === entryId) };
}

describe('screenParty against the real lists', () => {
  it('finds a listed individual on both lists, with list, version, program and reasons as evidence', () => {
    const { result, match } = found('Ayman al-Zawahiri', 'OFAC-SDN', '2676');
    expect(result.band).toBe('HIGH');
    expect(match).toMatchObject({ matchedName: 'AL ZAWAHIRI, Dr. Ayman', program: 'SDGT', band: 'HIGH', category: 'sanctions' });
    expect(match!.listVersion).toBe(sanctions[0]!.version.sha256);
    expect(match!.reasons[0]).toContain('zawahiri≈zawahiri');
    expect(result.matches.some((m) => m.list === 'UN-SC' && m.entryId === 'QDi.006')).toBe(true);
    expect(result.listVersions.map((version) => version.listId)).toEqual(['OFAC-SDN', 'UN-SC']);
  });

  it('ignores token order, case, punctuation and honorifics', () => {
    expect(found('zawahiri, AYMAN', 'UN-SC', 'QDi.006').match?.band).toBe('HIGH');
    expect(found('Sheikh Dr. Ayman Zawahiri', 'OFAC-SDN', '2676').match?.band).toBe('HIGH');
  });

  it('folds diacritics both ways: the UN spells Jérôme Kakwavu with them, OFAC without', () => {
    expect(found('Jerome Kakwavu', 'UN-SC', 'CDi.005').match?.band).toBe('HIGH');
    expect(found('JÉRÔME KAKWAVU BUKANDE', 'OFAC-SDN', '12029').match?.band).toBe('HIGH');
  });

  it('reads a name written in another script (Cyrillic) through transliteration', () => {
    expect(found('Эрик Бадеге', 'UN-SC', 'CDi.001').match?.band).toBe('HIGH');
  });

  it('finds an entry by its alias, and handles company suffixes', () => {
    // OFAC 306 BANCO NACIONAL DE CUBA has the alias NATIONAL BANK OF CUBA.
    const { match } = found('National Bank of Cuba Ltd.', 'OFAC-SDN', '306');
    expect(match).toMatchObject({ matchedName: 'NATIONAL BANK OF CUBA', matchedNameType: 'aka' });
    expect(found('Cimex S.A.', 'OFAC-SDN', '537').match?.band).toBe('HIGH');
  });

  it('tolerates a typo, a transliteration variant and a dropped middle name', () => {
    expect(found('Ayman al-Zawahri', 'OFAC-SDN', '2676').match?.band).not.toBe('LOW');
    expect(found('Hassan Nasrallah', 'OFAC-SDN', '2686').match?.band).not.toBe('LOW');
    expect(found('Frank Bwambale', 'UN-SC', 'CDi.002').match?.band).not.toBe('LOW');
  });

  it('uses date of birth and country to raise or lower the score', () => {
    const plain = found('Hasan Nasrallah', 'OFAC-SDN', '2686').match!;
    const agreeing = found('Hasan Nasrallah', 'OFAC-SDN', '2686', { dateOfBirth: '1960-08-31', country: 'LB' }).match!;
    const disagreeing = found('Hasan Nasrallah', 'OFAC-SDN', '2686', { dateOfBirth: '1990-01-01', country: 'NO' }).match!;
    expect(agreeing.score).toBeGreaterThanOrEqual(plain.score);
    expect(agreeing.reasons.join(' ')).toContain('date of birth matches');
    expect(disagreeing.score).toBeLessThan(plain.score);
    expect(disagreeing.reasons.join(' ')).toContain('country NO is not among');
  });

  it('lets common names that are not listed pass as LOW', () => {
    for (const name of ['Emily Thompson', 'Lukas Schneider', 'Priya Sharma', 'Katarzyna Nowak', 'Haruto Tanaka', 'Kwame Mensah']) {
      expect(screenParty(index, { name }).band, name).toBe('LOW');
    }
  });

  it('sets a match aside when the allow list has cleared it for this party, and only for it', () => {
    const allowList = createAllowList([
      { partyName: 'ERIC BADEGE', account: 'DE89370400440532013000', list: 'UN-SC', entryId: 'CDi.001', reason: 'reviewed 2026-03-01' },
    ]);
    const options = screeningOptions({ allowList });
    const cleared = screenParty(index, { name: 'Badege, Eric', account: 'DE89370400440532013000' }, options);
    expect(cleared.matches.some((match) => match.entryId === 'CDi.001')).toBe(false);
    expect(cleared.suppressed[0]).toMatchObject({ entryId: 'CDi.001' });
    expect(cleared.suppressed[0]!.reasons.join(' ')).toContain('reviewed 2026-03-01');
    // The OFAC entry for the same person was not cleared, so the band stays HIGH.
    expect(cleared.band).toBe('HIGH');
    const otherAccount = screenParty(index, { name: 'Eric Badege', account: 'GB29NWBK60161331926819' }, options);
    expect(otherAccount.matches.some((match) => match.entryId === 'CDi.001')).toBe(true);
  });

  it('raises the band one step when the party is a PEP', async () => {
    const pep = await loadListSource({ kind: 'pep-csv', path: pepSampleFile });
    const withPep = buildScreeningIndex([...sanctions, pep]);
    const result = screenParty(withPep, { name: 'Aurelia Vantanova', country: 'MD' });
    expect(result).toMatchObject({ band: 'MEDIUM', pep: true, score: 0 });
    expect(result.matches[0]).toMatchObject({ list: 'PEP', category: 'pep', entryId: 'PEP-0001' });
    expect(screenParty(withPep, { name: 'Ngozi Okonkwo' }).pep).toBe(true);
    expect(screenParty(index, { name: 'Aurelia Vantanova' }).band).toBe('LOW');
  });

  it('rejects options that contradict each other', () => {
    expect(() => screeningOptions({ thresholds: { medium: 0.95, high: 0.9 } })).toThrow(/report ≤ medium ≤ high/);
  });
});
