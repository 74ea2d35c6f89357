import { describe, expect, it } from 'vitest';
import { ScreeningError, loadListSource, parseOfacSdn, parseUnConsolidated, standardSources } from '../index.ts';
import { sanctionsDataDirectory } from '../testing.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('list loaders', () => {
  // Load time is measured by `npm run bench -- screening` (loadMs), not asserted: a busy machine would fail it.
  it('loads the full published lists, with versions', async () => {
    const [ofac, un] = await Promise.all(standardSources(sanctionsDataDirectory()).map((source) => loadListSource(source)));
    expect(ofac!.version).toMatchObject({ listId: 'OFAC-SDN', category: 'sanctions' });
    expect(ofac!.version.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ofac!.entries.length).toBeGreaterThan(5_000);
    expect(un!.version.publishedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(un!.entries.length).toBeGreaterThan(500);
  });

  it('reads OFAC remarks for dates of birth and nationality, and add.csv for countries', async () => {
    const [ofac] = await Promise.all(
      standardSources(sanctionsDataDirectory())
        .slice(0, 1)
        .map((source) => loadListSource(source)),
    );
    const nasrallah = ofac!.entries.find((entry) => entry.entryId === '2686')!;
    expect(nasrallah.kind).toBe('individual');
    expect(nasrallah.birthDates[0]).toEqual({ fromYear: 1960, toYear: 1960, month: 8, day: 31, approximate: false });
    expect(nasrallah.countries).toContain('LB');
    const bank = ofac!.entries.find((entry) => entry.entryId === '306')!;
    expect(bank).toMatchObject({ kind: 'entity', programs: ['CUBA'] });
    expect(bank.names.map((name) => name.name)).toContain('NATIONAL BANK OF CUBA');
    expect(bank.countries).toEqual(expect.arrayContaining(['CH', 'ES', 'JP']));
  });

  it('refuses a CSV with an unclosed quote, naming the file and line', () => {
    const sdn =
      '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n173,"ANGLO-CARIBBEAN CO., LTD.,-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n';
    const error = catchError(() => parseOfacSdn('OFAC-SDN', { sdn: { path: 'sdn.csv', bytes: bytes(sdn) } }));
    expect(error).toMatchObject({ code: 'SANCTIONS_LIST_MALFORMED', canRetry: false, file: 'sdn.csv' });
    expect(error.message).toMatch(/^malformed list file sdn\.csv:\d+: /);
  });

  it('refuses rows with the wrong number of columns and aliases of unknown entries', () => {
    const good = '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n';
    const short = catchError(() => parseOfacSdn('OFAC-SDN', { sdn: { path: 'sdn.csv', bytes: bytes(`${good}37,"X",-0- \r\n`) } }));
    expect(short).toMatchObject({ line: 2 });
    expect(short.message).toContain('expected 12 columns, found 3');
    const orphan = catchError(() =>
      parseOfacSdn('OFAC-SDN', {
        sdn: { path: 'sdn.csv', bytes: bytes(good) },
        alt: { path: 'alt.csv', bytes: bytes('99,1,"aka","NOBODY",-0- \r\n') },
      }),
    );
    expect(orphan.message).toBe('malformed list file alt.csv:1: ent_num "99" is not in sdn.csv');
  });

  it("refuses malformed UN XML with the parser's line", () => {
    const error = catchError(() =>
      parseUnConsolidated('UN-SC', {
        path: 'un.xml',
        bytes: bytes('<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL><FIRST_NAME>A</INDIVIDUAL>\n</INDIVIDUALS></CONSOLIDATED_LIST>'),
      }),
    );
    expect(error).toMatchObject({ code: 'SANCTIONS_LIST_MALFORMED', file: 'un.xml', line: 3 });
  });

  it('says when a file cannot be read, as retryable', async () => {
    await expect(loadListSource({ kind: 'un-consolidated-xml', path: '/nonexistent/un.xml' })).rejects.toMatchObject({
      code: 'SANCTIONS_LIST_UNREADABLE',
      canRetry: true,
    });
  });
});

function catchError(run: () => unknown): ScreeningError {
  try {
    run();
  } catch (error) {
    if (error instanceof ScreeningError) return error;
    throw error;
  }
  throw new Error('expected a ScreeningError');
}
