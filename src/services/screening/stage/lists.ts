/**
 * The lists the screening stage reads, and the worker that keeps them loaded.
 *
 * The lists are in process (files parsed into an index, ~5–9 s for OFAC + UN), so "the screening
 * dependency is down" means exactly: *the lists are not loaded yet, or could not be read or parsed
 * at start*. There is no remote call to time out, so there is no circuit breaker either: asking
 * for the index is a memory read that either has lists or does not. Once loaded, a refused reload
 * (a half-written or malformed file) keeps the previous version in force (the store's guarantee),
 * and is reported in `status()` and the log.
 *
 * The worker loads in the background so the platform starts at once; until the first load
 * succeeds, `screen` throws `SANCTIONS_LISTS_NOT_LOADED` and the consumer retries (fail closed). A
 * failed first load is retried every `listLoadRetryDelayMs`; after it, the `ListWatcher` polls the
 * files and reloads a list whose files changed.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../../backbone/clock/clock.ts';
import type { BackgroundWorker } from '../../service.ts';
import type { Party, ScreeningResult } from '../model.ts';
import type { ScreeningOptions } from '../engine/options.ts';
import { screenParty } from '../engine/screen.ts';
import { bandRank } from './decide.ts';
import { SanctionsListStore, type ListStatus, type ReloadOutcome } from '../store/list-store.ts';
import { ListWatcher, type StatFile } from '../store/list-watcher.ts';
import { listIdOf, type ListSource, type ReadFile } from '../lists/source.ts';

export interface ScreeningListsOptions {
  sources: readonly ListSource[];
  extraLists: readonly ListSource[];
  listPollIntervalMs: number;
  listLoadRetryDelayMs: number;
  clock: Clock;
  logger: Logger;
  readFile?: ReadFile;
  stat?: StatFile;
}

export class ScreeningLists {
  readonly #stores: { store: SanctionsListStore; watcher: ListWatcher; extraListId: string | undefined }[];
  readonly #options: ScreeningListsOptions;
  #loaded = false;
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: ScreeningListsOptions) {
    this.#options = options;
    // One store for the base lists, and one per extra list so that a corridor can add it alone.
    const groups: { sources: ListSource[]; extraListId: string | undefined }[] = [
      { sources: [...options.sources], extraListId: undefined },
      ...options.extraLists.map((source) => ({ sources: [source], extraListId: listIdOf(source) })),
    ];
    this.#stores = groups.map(({ sources, extraListId }) => {
      const store = new SanctionsListStore({
        sources,
        ...(options.readFile ? { readFile: options.readFile } : {}),
        onReload: (outcome) => this.#logReload(outcome),
      });
      const watcher = new ListWatcher({
        store,
        sources,
        pollIntervalMs: options.listPollIntervalMs,
        clock: options.clock,
        ...(options.stat ? { stat: options.stat } : {}),
      });
      return { store, watcher, extraListId };
    });
  }

  /** True once every list loaded at least once. */
  get ready(): boolean {
    return this.#loaded;
  }

  /**
   * Screens a party against the base lists and the given extra lists, combined: the highest band,
   * every match (best first), every list version. Throws `SANCTIONS_LISTS_NOT_LOADED` before the
   * first load (the caller fails closed).
   */
  screen(party: Party, options: ScreeningOptions, extraListIds: readonly string[]): ScreeningResult {
    const results = this.#stores
      .filter((entry) => entry.extraListId === undefined || extraListIds.includes(entry.extraListId))
      .map((entry) => screenParty(entry.store.index(), party, options));
    if (results.length === 1) return results[0]!;
    return {
      band: results.reduce((band, result) => (bandRank[result.band] > bandRank[band] ? result.band : band), results[0]!.band),
      score: Math.max(...results.map((result) => result.score)),
      pep: results.some((result) => result.pep),
      matches: results
        .flatMap((result) => result.matches)
        .sort((a, b) => b.score - a.score)
        .slice(0, options.maxMatches),
      suppressed: results.flatMap((result) => result.suppressed),
      listVersions: results.flatMap((result) => result.listVersions),
    };
  }

  status(): ListStatus[] {
    return this.#stores.flatMap((entry) => entry.store.status());
  }

  /** The worker: loads in the background, then watches the files. */
  worker(): BackgroundWorker {
    return {
      name: 'screening-lists',
      start: async () => {
        if (this.#loop) return;
        const stop = new AbortController();
        this.#stop = stop;
        this.#loop = this.#run(stop.signal);
      },
      stop: async () => {
        this.#stop?.abort();
        await this.#loop;
        this.#loop = undefined;
        await Promise.all(this.#stores.map((entry) => entry.watcher.stop()));
      },
    };
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { clock, logger, listLoadRetryDelayMs } = this.#options;
    for (const entry of this.#stores) {
      while (!signal.aborted) {
        try {
          await entry.store.loadAll();
          break;
        } catch (error) {
          logger.error(
            { err: error, retryInMs: listLoadRetryDelayMs },
            'sanctions lists could not be loaded: no payment is screened (they wait, then fail) until they are',
          );
          await clock.sleep(listLoadRetryDelayMs, signal);
        }
      }
      if (signal.aborted) return;
      await entry.watcher.start();
    }
    this.#loaded = true;
  }

  #logReload(outcome: ReloadOutcome): void {
    const { logger } = this.#options;
    if (outcome.status === 'swapped')
      logger.info(
        { listId: outcome.listId, sha256: outcome.version.sha256, entries: outcome.version.entryCount, previous: outcome.previous?.sha256 },
        'sanctions list in force',
      );
    else if (outcome.status === 'refused')
      logger.error(
        { listId: outcome.listId, err: outcome.error, kept: outcome.kept?.sha256 },
        'sanctions list reload refused; the previous version stays in force',
      );
  }
}
