/**
 * Reloads a list when its files change, without a restart. Polls each file's modification time
 * and size (fs.watch misses changes on network file systems and when a file is replaced by
 * rename, which is how lists should be published): when any file of a list has changed since the
 * last look, it asks the store to reload that list. A refused reload (a half-written file) is
 * retried at the next change, and the store keeps the previous version meanwhile.
 *
 * `stat` and the clock are injected so tests drive it without timers; `checkNow()` is one poll.
 */
import { stat as fsStat } from 'node:fs/promises';
import { systemClock, type Clock } from '../../../backbone/clock/clock.ts';
import { ScreeningError, ScreeningErrorCodes } from '../errors.ts';
import { listIdOf, sourceFiles, type ListSource } from '../lists/source.ts';
import type { ReloadOutcome, SanctionsListStore } from './list-store.ts';

export type StatFile = (path: string) => Promise<{ mtimeMs: number; size: number }>;

export interface ListWatcherOptions {
  store: SanctionsListStore;
  sources: readonly ListSource[];
  /** Time between polls. Default 30 s: lists change a few times a day. */
  pollIntervalMs?: number;
  stat?: StatFile;
  clock?: Clock;
}

export class ListWatcher {
  readonly #store: SanctionsListStore;
  readonly #files: { listId: string; paths: string[] }[];
  readonly #pollIntervalMs: number;
  readonly #stat: StatFile;
  readonly #clock: Clock;
  readonly #seen = new Map<string, string>();
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: ListWatcherOptions) {
    this.#pollIntervalMs = options.pollIntervalMs ?? 30_000;
    if (!(this.#pollIntervalMs > 0)) throw new ScreeningError(ScreeningErrorCodes.INVALID_OPTIONS, 'pollIntervalMs must be positive');
    this.#store = options.store;
    this.#files = options.sources.map((source) => ({ listId: listIdOf(source), paths: sourceFiles(source) }));
    this.#stat = options.stat ?? fsStat;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Records the files' current state as seen (call after the store's `loadAll`), then polls until
   * `stop()`.
   */
  async start(): Promise<void> {
    if (this.#loop) return;
    await this.checkNow({ baselineOnly: true });
    const stop = new AbortController();
    this.#stop = stop;
    this.#loop = (async () => {
      while (!stop.signal.aborted) {
        await this.#clock.sleep(this.#pollIntervalMs, stop.signal);
        if (!stop.signal.aborted) await this.checkNow().catch(() => {});
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop?.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  /** One poll: reloads every list with a changed file and returns what the store did. */
  async checkNow(options: { baselineOnly?: boolean } = {}): Promise<ReloadOutcome[]> {
    const outcomes: ReloadOutcome[] = [];
    for (const { listId, paths } of this.#files) {
      let changed = false;
      for (const path of paths) {
        const fingerprint = await this.#stat(path).then((stats) => `${stats.mtimeMs}:${stats.size}`, () => 'missing');
        if (this.#seen.get(path) !== fingerprint) changed = true;
        this.#seen.set(path, fingerprint);
      }
      if (changed && !options.baselineOnly) outcomes.push(await this.#store.reload(listId));
    }
    return outcomes;
  }
}
