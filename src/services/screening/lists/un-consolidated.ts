/**
 * The UN Security Council Consolidated List in its published XML form
 * (`CONSOLIDATED_LIST` → `INDIVIDUALS/INDIVIDUAL`, `ENTITIES/ENTITY`), read unchanged.
 *
 * Names are FIRST_NAME … FOURTH_NAME joined in that order; aliases are INDIVIDUAL_ALIAS /
 * ENTITY_ALIAS, where QUALITY "Low" marks a weak alias (the UN's own "low quality a.k.a."); the name
 * in the original script (NAME_ORIGINAL_SCRIPT) is kept as a weak name, transliterated like any
 * other. The entry id is REFERENCE_NUMBER ("QDi.006"), the one the UN publishes and reviewers cite.
 * The version's publish date is the root's `dateGenerated`.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { BirthDate, EntryName, ListEntry, LoadedList } from '../model.ts';
import { malformedList } from '../errors.ts';
import { countryCode } from '../engine/countries.ts';
import { contentSha256 } from './version.ts';

type XmlNode = Record<string, unknown>;

const repeated = new Set([
  'INDIVIDUAL',
  'ENTITY',
  'INDIVIDUAL_ALIAS',
  'ENTITY_ALIAS',
  'NATIONALITY',
  'VALUE',
  'INDIVIDUAL_ADDRESS',
  'ENTITY_ADDRESS',
  'INDIVIDUAL_DATE_OF_BIRTH',
  'ALIAS_NAME',
  'UN_LIST_TYPE',
]);

export function parseUnConsolidated(listId: string, file: { path: string; bytes: Uint8Array }): LoadedList {
  const text = new TextDecoder('utf-8').decode(file.bytes);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw malformedList(file.path, valid.err.line, `${valid.err.code}: ${valid.err.msg} (column ${valid.err.col})`);

  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (name) => repeated.has(name),
  });
  const document = parser.parse(text) as XmlNode;
  const root = document.CONSOLIDATED_LIST as XmlNode | undefined;
  if (!root || typeof root !== 'object') throw malformedList(file.path, undefined, 'no CONSOLIDATED_LIST root element');
  const individuals = arrayOf((root.INDIVIDUALS as XmlNode | undefined)?.INDIVIDUAL);
  const entities = arrayOf((root.ENTITIES as XmlNode | undefined)?.ENTITY);
  if (individuals.length + entities.length === 0) throw malformedList(file.path, undefined, 'no INDIVIDUAL or ENTITY elements');

  const entries: ListEntry[] = [];
  const seen = new Set<string>();
  for (const [node, kind] of [...individuals.map((n) => [n, 'individual'] as const), ...entities.map((n) => [n, 'entity'] as const)]) {
    const entry = readEntry(file.path, node, kind);
    if (seen.has(entry.entryId)) throw malformedList(file.path, undefined, `REFERENCE_NUMBER ${entry.entryId} appears twice`);
    seen.add(entry.entryId);
    entries.push(entry);
  }

  const generated = root['@_dateGenerated'];
  return {
    entries,
    version: {
      listId,
      category: 'sanctions',
      sha256: contentSha256([{ role: 'consolidated.xml', bytes: file.bytes }]),
      ...(typeof generated === 'string' ? { publishedAt: generated } : {}),
      entryCount: entries.length,
      nameCount: entries.reduce((sum, entry) => sum + entry.names.length, 0),
      files: [file.path],
    },
  };
}

function readEntry(path: string, node: XmlNode, kind: 'individual' | 'entity'): ListEntry {
  const reference = text(node.REFERENCE_NUMBER) ?? text(node.DATAID);
  if (reference === undefined) throw malformedList(path, undefined, `an ${kind.toUpperCase()} has neither REFERENCE_NUMBER nor DATAID`);
  const primary = ['FIRST_NAME', 'SECOND_NAME', 'THIRD_NAME', 'FOURTH_NAME']
    .map((tag) => text(node[tag]))
    .filter(Boolean)
    .join(' ');
  if (primary === '') throw malformedList(path, undefined, `${kind.toUpperCase()} ${reference} has no FIRST_NAME`);

  const names: EntryName[] = [{ name: primary, type: 'primary', weak: false }];
  for (const alias of arrayOf(node[kind === 'individual' ? 'INDIVIDUAL_ALIAS' : 'ENTITY_ALIAS'])) {
    const quality = text(alias.QUALITY)?.toLowerCase();
    for (const aliasName of arrayOf(alias.ALIAS_NAME as unknown)) {
      const value = text(aliasName);
      if (value === undefined) continue;
      names.push({ name: value, type: quality === 'f.k.a.' ? 'fka' : 'aka', weak: quality === 'low' });
    }
  }
  const original = text(node.NAME_ORIGINAL_SCRIPT);
  if (original !== undefined) names.push({ name: original, type: 'original-script', weak: true });

  const countries = new Set<string>();
  for (const nationality of arrayOf(node.NATIONALITY)) {
    for (const value of arrayOf(nationality.VALUE as unknown)) addCountry(countries, text(value));
  }
  for (const address of arrayOf(node[kind === 'individual' ? 'INDIVIDUAL_ADDRESS' : 'ENTITY_ADDRESS']))
    addCountry(countries, text(address.COUNTRY));

  const listedOn = text(node.LISTED_ON);
  return {
    entryId: reference,
    kind,
    names,
    programs: arrayOf(node.UN_LIST_TYPE as unknown)
      .map((value) => text(value))
      .filter((value): value is string => value !== undefined),
    countries: [...countries],
    birthDates: arrayOf(node.INDIVIDUAL_DATE_OF_BIRTH).flatMap(birthDate),
    ...(listedOn === undefined ? {} : { listedOn }),
  };
}

function birthDate(node: XmlNode): BirthDate[] {
  const type = text(node.TYPE_OF_DATE)?.toUpperCase();
  const approximate = type === 'APPROXIMATELY';
  const date = text(node.DATE);
  const exact = date === undefined ? null : /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (exact) {
    const year = Number(exact[1]);
    return [{ fromYear: year, toYear: year, month: Number(exact[2]), day: Number(exact[3]), approximate }];
  }
  const year = Number(text(node.YEAR));
  if (year > 0) return [{ fromYear: year, toYear: year, approximate }];
  const from = Number(text(node.FROM_YEAR));
  const to = Number(text(node.TO_YEAR));
  if (from > 0 && to >= from) return [{ fromYear: from, toYear: to, approximate: true }];
  return [];
}

function addCountry(countries: Set<string>, name: string | undefined): void {
  const code = countryCode(name);
  if (code) countries.add(code);
}

function arrayOf(value: unknown): XmlNode[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]) as XmlNode[];
}

/** Text content of a leaf: a string, or `#text` of an element that also has attributes. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim().replace(/^[“"]|[”"]$/g, '');
  if (value && typeof value === 'object' && '#text' in value) return text((value as XmlNode)['#text']);
  return undefined;
}
