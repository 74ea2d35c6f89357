/**
 * Where a list comes from: files on disk, configured by path, or published over HTTP(S), configured
 * by URL (each "path" below may be either). Loading is the only I/O of the screening engine, and
 * goes through an injectable `readFile` so tests can hand it bytes.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import type { LoadedList } from '../model.ts';
import { ScreeningError, ScreeningErrorCodes } from '../errors.ts';
import { parseOfacSdn } from './ofac-sdn.ts';
import { parseUnConsolidated } from './un-consolidated.ts';
import { parsePepCsv } from './pep-csv.ts';

export type ListSource =
  | { kind: 'ofac-sdn-csv'; listId?: string; sdnPath: string; altPath?: string; addPath?: string }
  | { kind: 'un-consolidated-xml'; listId?: string; path: string }
  | { kind: 'pep-csv'; listId?: string; path: string };

export type ReadFile = (path: string) => Promise<Uint8Array>;

/** How long one download of a list may take. */
export const listDownloadTimeoutMs = 120_000;

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Reads a list file from disk, or downloads it when `location` is an http(s) URL (2xx only). */
export const readListLocation: ReadFile = async (location) => {
  if (!isUrl(location)) return fsReadFile(location);
  const response = await fetch(location, { signal: AbortSignal.timeout(listDownloadTimeoutMs), redirect: 'follow' });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${location}`);
  return new Uint8Array(await response.arrayBuffer());
};

const defaultListIds = { 'ofac-sdn-csv': 'OFAC-SDN', 'un-consolidated-xml': 'UN-SC', 'pep-csv': 'PEP' } as const;

export function listIdOf(source: ListSource): string {
  return source.listId ?? defaultListIds[source.kind];
}

/** The files whose change means the list must be reloaded. */
export function sourceFiles(source: ListSource): string[] {
  if (source.kind === 'ofac-sdn-csv')
    return [source.sdnPath, source.altPath, source.addPath].filter((path): path is string => path !== undefined);
  return [source.path];
}

/**
 * Reads and parses one list. Rejects with `SANCTIONS_LIST_UNREADABLE` (retryable) when a file
 * cannot be read, `SANCTIONS_LIST_MALFORMED` (permanent) when it does not parse.
 */
export async function loadListSource(source: ListSource, readFile: ReadFile = readListLocation): Promise<LoadedList> {
  const listId = listIdOf(source);
  const read = async (path: string): Promise<{ path: string; bytes: Uint8Array }> => {
    try {
      return { path, bytes: await readFile(path) };
    } catch (error) {
      throw new ScreeningError(ScreeningErrorCodes.LIST_UNREADABLE, `cannot read list file ${path}: ${(error as Error).message}`, {
        file: path,
        cause: error,
      });
    }
  };
  switch (source.kind) {
    case 'ofac-sdn-csv': {
      const [sdn, alt, add] = await Promise.all([
        read(source.sdnPath),
        source.altPath ? read(source.altPath) : undefined,
        source.addPath ? read(source.addPath) : undefined,
      ]);
      return parseOfacSdn(listId, { sdn, ...(alt ? { alt } : {}), ...(add ? { add } : {}) });
    }
    case 'un-consolidated-xml':
      return parseUnConsolidated(listId, await read(source.path));
    case 'pep-csv':
      return parsePepCsv(listId, await read(source.path));
  }
}

/** The published file names under one directory: `ofac/sdn.csv`, `ofac/alt.csv`, `ofac/add.csv`, `un/UN_consolidated.xml`. */
export function standardSources(sanctionsDirectory: string): ListSource[] {
  const dir = sanctionsDirectory.replace(/\/$/, '');
  return [
    { kind: 'ofac-sdn-csv', sdnPath: `${dir}/ofac/sdn.csv`, altPath: `${dir}/ofac/alt.csv`, addPath: `${dir}/ofac/add.csv` },
    { kind: 'un-consolidated-xml', path: `${dir}/un/UN_consolidated.xml` },
  ];
}
