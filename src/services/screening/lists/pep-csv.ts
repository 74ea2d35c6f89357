/**
 * A list of politically exposed persons in a deliberately simple CSV: a header row
 * `id,name,country,position`, then one person per row (the id must stay stable across versions, the
 * allow list refers to it). Aliases go on their own row with the same id. A PEP hit is not a
 * sanctions hit: it raises the risk band (see screen.ts) so a person reviews the payment.
 */
import type { ListEntry, LoadedList } from '../model.ts';
import { malformedList } from '../errors.ts';
import { countryCode } from '../engine/countries.ts';
import { parseCsvStrict } from './csv.ts';
import { contentSha256 } from './version.ts';

export const pepCsvHeader = ['id', 'name', 'country', 'position'] as const;

export function parsePepCsv(listId: string, file: { path: string; bytes: Uint8Array }): LoadedList {
  const rows = parseCsvStrict(file.path, new TextDecoder('utf-8').decode(file.bytes), pepCsvHeader.length);
  const header = rows.shift();
  if (!header || header.fields.join(',').toLowerCase() !== pepCsvHeader.join(',')) {
    throw malformedList(file.path, header?.line ?? 1, `the header row must be "${pepCsvHeader.join(',')}"`);
  }
  const entries = new Map<string, ListEntry>();
  for (const { fields, line } of rows) {
    const [id, name, country, position] = fields as [string, string, string, string];
    if (id === '' || name === '') throw malformedList(file.path, line, 'id and name are required');
    const code = countryCode(country);
    if (country !== '' && code === undefined) throw malformedList(file.path, line, `unknown country ${JSON.stringify(country)}`);
    const existing = entries.get(id);
    if (existing) {
      existing.names.push({ name, type: 'aka', weak: false });
      continue;
    }
    entries.set(id, {
      entryId: id,
      kind: 'individual',
      names: [{ name, type: 'primary', weak: false }],
      programs: position === '' ? [] : [position],
      countries: code ? [code] : [],
      birthDates: [],
    });
  }
  const list = [...entries.values()];
  return {
    entries: list,
    version: {
      listId,
      category: 'pep',
      sha256: contentSha256([{ role: 'pep.csv', bytes: file.bytes }]),
      entryCount: list.length,
      nameCount: list.reduce((sum, entry) => sum + entry.names.length, 0),
      files: [file.path],
    },
  };
}
