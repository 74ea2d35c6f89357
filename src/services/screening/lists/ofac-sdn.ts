/**
 * OFAC's Specially Designated Nationals list in its published CSV form, read unchanged:
 *
 * - `sdn.csv`: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
 *   Vess_flag, Vess_owner, Remarks (12 columns, no header, `-0-` for empty);
 * - `alt.csv`: ent_num, alt_num, alt_type (aka/fka/nka), alt_name, alt_remarks;
 * - `add.csv`: ent_num, add_num, address, city/state/postal, country, add_remarks.
 *
 * Dates of birth, nationality and citizenship are only in the free-text Remarks ("DOB 10 Dec 1948;
 * POB Giza, Egypt; nationality Egypt"), so they are read from there. OFAC cuts Remarks longer than
 * its column and continues them in sdn_comments.csv, which is not read: the few dates of birth that
 * only appear after the cut are not used.
 */
import type { BirthDate, EntryKind, EntryName, ListEntry, LoadedList } from '../model.ts';
import { malformedList } from '../errors.ts';
import { countryCode } from '../engine/countries.ts';
import { ofacValue, parseCsvStrict } from './csv.ts';
import { contentSha256 } from './version.ts';

export interface OfacSdnFiles {
  sdn: { path: string; bytes: Uint8Array };
  alt?: { path: string; bytes: Uint8Array };
  add?: { path: string; bytes: Uint8Array };
}

export function parseOfacSdn(listId: string, files: OfacSdnFiles): LoadedList {
  const decoder = new TextDecoder('utf-8');
  const entries = new Map<string, ListEntry>();
  for (const { fields, line } of parseCsvStrict(files.sdn.path, decoder.decode(files.sdn.bytes), 12)) {
    const [entNum, name, type, program, , , , , , vesselFlag, , remarks] = fields;
    if (!/^\d+$/.test(entNum ?? '')) throw malformedList(files.sdn.path, line, `ent_num ${JSON.stringify(entNum)} is not a number`);
    const primary = ofacValue(name);
    if (primary === undefined) throw malformedList(files.sdn.path, line, `entry ${entNum} has no SDN_Name`);
    if (entries.has(entNum as string)) throw malformedList(files.sdn.path, line, `ent_num ${entNum} appears twice`);
    const remarkText = ofacValue(remarks) ?? '';
    const countries = new Set(countriesFromRemarks(remarkText));
    const flag = countryCode(ofacValue(vesselFlag));
    if (flag) countries.add(flag);
    entries.set(entNum as string, {
      entryId: entNum as string,
      kind: entryKind(ofacValue(type)),
      names: [{ name: primary, type: 'primary', weak: false }],
      programs: splitPrograms(ofacValue(program)),
      countries: [...countries],
      birthDates: birthDatesFromRemarks(remarkText),
    });
  }
  if (entries.size === 0) throw malformedList(files.sdn.path, undefined, 'no entries');

  if (files.alt) {
    for (const { fields, line } of parseCsvStrict(files.alt.path, decoder.decode(files.alt.bytes), 5)) {
      const [entNum, , altType, altName] = fields;
      const entry = entries.get(entNum as string);
      if (!entry) throw malformedList(files.alt.path, line, `ent_num ${JSON.stringify(entNum)} is not in ${files.sdn.path}`);
      const name = ofacValue(altName);
      if (name === undefined) throw malformedList(files.alt.path, line, `alias of entry ${entNum} has no alt_name`);
      entry.names.push({ name, type: aliasType(ofacValue(altType)), weak: false });
    }
  }
  if (files.add) {
    for (const { fields, line } of parseCsvStrict(files.add.path, decoder.decode(files.add.bytes), 6)) {
      const [entNum, , , , country] = fields;
      const entry = entries.get(entNum as string);
      if (!entry) throw malformedList(files.add.path, line, `ent_num ${JSON.stringify(entNum)} is not in ${files.sdn.path}`);
      const code = countryCode(ofacValue(country));
      if (code && !entry.countries.includes(code)) entry.countries.push(code);
    }
  }

  const parts = [{ role: 'sdn.csv', bytes: files.sdn.bytes }];
  if (files.alt) parts.push({ role: 'alt.csv', bytes: files.alt.bytes });
  if (files.add) parts.push({ role: 'add.csv', bytes: files.add.bytes });
  const list = [...entries.values()];
  return {
    entries: list,
    version: {
      listId,
      category: 'sanctions',
      sha256: contentSha256(parts),
      entryCount: list.length,
      nameCount: list.reduce((sum, entry) => sum + entry.names.length, 0),
      files: [files.sdn.path, ...(files.alt ? [files.alt.path] : []), ...(files.add ? [files.add.path] : [])],
    },
  };
}

function entryKind(type: string | undefined): EntryKind {
  // OFAC leaves SDN_Type empty for organisations.
  if (type === undefined) return 'entity';
  if (type === 'individual' || type === 'vessel' || type === 'aircraft') return type;
  return 'unknown';
}

function aliasType(type: string | undefined): EntryName['type'] {
  if (type === 'fka' || type === 'nka') return type;
  return 'aka';
}

/** "SDGT] [IRGC] [IFSR" → ["SDGT", "IRGC", "IFSR"]. */
function splitPrograms(program: string | undefined): string[] {
  if (program === undefined) return [];
  return program
    .split(/\]\s*\[/)
    .map((part) => part.replace(/[[\]]/g, '').trim())
    .filter(Boolean);
}

const months: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

/** Every "DOB …" clause of the remarks: "10 Dec 1948", "1955", "circa 1960", "1955 to 1958", "Jan 1960". */
export function birthDatesFromRemarks(remarks: string): BirthDate[] {
  const dates: BirthDate[] = [];
  for (const match of remarks.matchAll(/\bDOB ([^;]+)/g)) {
    const text = (match[1] as string).replace(/\.$/, '');
    const years = [...text.matchAll(/\b(\d{4})\b/g)].map((year) => Number(year[1]));
    if (years.length === 0) continue;
    const approximate = /circa/i.test(text);
    const exact = /^(\d{1,2}) ([A-Za-z]{3}) (\d{4})$/.exec(text.trim());
    if (exact) {
      const month = months[(exact[2] as string).toLowerCase()];
      const year = Number(exact[3]);
      dates.push({ fromYear: year, toYear: year, ...(month ? { month, day: Number(exact[1]) } : {}), approximate: false });
    } else {
      dates.push({ fromYear: Math.min(...years), toYear: Math.max(...years), approximate });
    }
  }
  return dates;
}

function countriesFromRemarks(remarks: string): string[] {
  const codes: string[] = [];
  for (const match of remarks.matchAll(/\b(?:nationality|citizen) ([^;]+)/g)) {
    const code = countryCode((match[1] as string).replace(/\.$/, ''));
    if (code && !codes.includes(code)) codes.push(code);
  }
  return codes;
}
