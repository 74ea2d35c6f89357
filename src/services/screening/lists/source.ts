/**
 * Where a list comes from: files on disk, configured by path. Loading is the only I/O of the
 * screening engine, and goes through an injectable `readFile` so tests can hand it bytes.
 * (URLs are not supported: fetch the files with whatever the deployment uses and point here.)
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

const defaultListIds = { 'ofac-sdn-csv': 'OFAC-SDN', 'un-consolidated-xml': 'UN-SC', 'pep-csv': 'PEP' } as const;

export function listIdOf(source: ListSource): string {
  return source.listId ?? defaultListIds[source.kind];
}

/** The files whose change means the list must be reloaded. */
export function sourceFiles(source: ListSource): string[] {
  if (source.kind === 'ofac-sdn-csv') return [source.sdnPath, source.altPath, source.addPath].filter((path): path is string => path !== undefined);
  return [source.path];
}

/**
 * Reads and parses one list. Rejects with `SANCTIONS_LIST_UNREADABLE` (retryable) when a file
 * cannot be read, `SANCTIONS_LIST_MALFORMED` (permanent) when it does not parse.
 */
export async function loadListSource(source: ListSource, readFile: ReadFile = fsReadFile): Promise<LoadedList> {
  const listId = listIdOf(source);
  const read = async (path: string): Promise<{ path: string; bytes: Uint8Array }> => {
    try {
      return { path, bytes: await readFile(path) };
    } catch (error) {
      throw new ScreeningError(ScreeningErrorCodes.LIST_UNREADABLE, `cannot read list file ${path}: ${(error as Error).message}`, { file: path, cause: error });
    }
  };
  switch (source.kind) {
    case 'ofac-sdn-csv': {
      const [sdn, alt, add] = await Promise.all([read(source.sdnPath), source.altPath ? read(source.altPath) : undefined, source.addPath ? read(source.addPath) : undefined]);
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
