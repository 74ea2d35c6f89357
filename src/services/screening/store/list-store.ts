/**
 * SanctionsListStore: the lists currently in force and the index built from them.
 *
 * Guarantees:
 * - `index()` always returns a complete index built from lists that each loaded successfully;
 *   a screen that holds it keeps a consistent view even while a reload runs.
 * - A reload swaps atomically: the new list is parsed and a new index is built off to the side,
 *   then one assignment makes it current. If the file is malformed or unreadable the reload is
 *   refused, the error says which file and line, and the previous version stays in force.
 * - Reloads run one at a time, in the order asked, so two lists changing together cannot lose
 *   either change.
 * - A reload of an unchanged file (same SHA-256) swaps nothing.
 */
import type { ListVersion, LoadedList } from '../model.ts';
import { ScreeningError, ScreeningErrorCodes } from '../errors.ts';
import { buildScreeningIndex, type ScreeningIndex, type ScreeningIndexOptions } from '../engine/screening-index.ts';
import { listIdOf, loadListSource, type ListSource, type ReadFile } from '../lists/source.ts';

export type ReloadOutcome =
  | { status: 'swapped'; listId: string; version: ListVersion; previous?: ListVersion }
  | { status: 'unchanged'; listId: string; version: ListVersion }
  | { status: 'refused'; listId: string; error: ScreeningError; kept?: ListVersion };

export interface ListStatus {
  listId: string;
  version?: ListVersion;
  /** The last refused reload, until a later one succeeds. */
  lastError?: ScreeningError;
}

export interface SanctionsListStoreOptions {
  sources: readonly ListSource[];
  readFile?: ReadFile;
  indexOptions?: ScreeningIndexOptions;
  /** Told of every load, swap and refusal (log it; a refusal should page someone). */
  onReload?: (outcome: ReloadOutcome) => void;
}

export class SanctionsListStore {
  readonly #sources: Map<string, ListSource>;
  readonly #readFile: ReadFile | undefined;
  readonly #indexOptions: ScreeningIndexOptions;
  readonly #onReload: (outcome: ReloadOutcome) => void;
  readonly #lists = new Map<string, LoadedList>();
  readonly #errors = new Map<string, ScreeningError>();
  #index: ScreeningIndex | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SanctionsListStoreOptions) {
    this.#sources = new Map();
    for (const source of options.sources) {
      const listId = listIdOf(source);
      if (this.#sources.has(listId))
        throw new ScreeningError(ScreeningErrorCodes.INVALID_OPTIONS, `two list sources have the id ${listId}`);
      this.#sources.set(listId, source);
    }
    if (this.#sources.size === 0) throw new ScreeningError(ScreeningErrorCodes.INVALID_OPTIONS, 'at least one list source is required');
    this.#readFile = options.readFile;
    this.#indexOptions = options.indexOptions ?? {};
    this.#onReload = options.onReload ?? (() => {});
  }

  /** The list ids, in configuration order. */
  get listIds(): string[] {
    return [...this.#sources.keys()];
  }

  /**
   * Loads every list. Rejects, naming the file, if any list fails: a screening service must not
   * start without its lists. (Later reloads never reject; they refuse and keep the old version.)
   */
  async loadAll(): Promise<ListVersion[]> {
    return this.#serialised(async () => {
      const loaded = await Promise.all([...this.#sources.values()].map((source) => loadListSource(source, this.#readFile)));
      for (const list of loaded) this.#lists.set(list.version.listId, list);
      this.#rebuild();
      for (const list of loaded) this.#onReload({ status: 'swapped', listId: list.version.listId, version: list.version });
      return loaded.map((list) => list.version);
    });
  }

  /** Reads one list again and swaps it in if it changed and parses; never rejects for a bad file. */
  async reload(listId: string): Promise<ReloadOutcome> {
    const source = this.#sources.get(listId);
    if (!source) throw new ScreeningError(ScreeningErrorCodes.INVALID_OPTIONS, `no list source with id ${listId}`);
    return this.#serialised(async () => {
      const previous = this.#lists.get(listId);
      let outcome: ReloadOutcome;
      try {
        const list = await loadListSource(source, this.#readFile);
        this.#errors.delete(listId);
        if (previous && previous.version.sha256 === list.version.sha256) {
          outcome = { status: 'unchanged', listId, version: previous.version };
        } else {
          const lists = new Map(this.#lists).set(listId, list);
          this.#index = buildScreeningIndex(this.#inOrder(lists), this.#indexOptions);
          this.#lists.set(listId, list);
          outcome = { status: 'swapped', listId, version: list.version, ...(previous ? { previous: previous.version } : {}) };
        }
      } catch (error) {
        if (!(error instanceof ScreeningError)) throw error;
        this.#errors.set(listId, error);
        outcome = { status: 'refused', listId, error, ...(previous ? { kept: previous.version } : {}) };
      }
      this.#onReload(outcome);
      return outcome;
    });
  }

  /** The index in force. Throws `SANCTIONS_LISTS_NOT_LOADED` before the first successful load. */
  index(): ScreeningIndex {
    if (!this.#index) throw new ScreeningError(ScreeningErrorCodes.LISTS_NOT_LOADED, 'no sanctions list loaded yet');
    return this.#index;
  }

  status(): ListStatus[] {
    return this.listIds.map((listId) => {
      const version = this.#lists.get(listId)?.version;
      const lastError = this.#errors.get(listId);
      return { listId, ...(version ? { version } : {}), ...(lastError ? { lastError } : {}) };
    });
  }

  #rebuild(): void {
    this.#index = buildScreeningIndex(this.#inOrder(this.#lists), this.#indexOptions);
  }

  #inOrder(lists: Map<string, LoadedList>): LoadedList[] {
    return this.listIds.map((listId) => lists.get(listId)).filter((list): list is LoadedList => list !== undefined);
  }

  #serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }
}
