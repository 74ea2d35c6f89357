/**
 * Reloads a list when its files change, without a restart. Polls each file's modification time
 * and size (fs.watch misses changes on network file systems and when a file is replaced by
 * rename, which is how lists should be published), or, for a list published by URL, its ETag,
 * Last-Modified and Content-Length (a HEAD request): when any file of a list has changed since the
 * last look, it asks the store to reload that list. A refused reload (a half-written file) is
 * retried at the next change, and the store keeps the previous version meanwhile.
 *
 * `stat` and the clock are injected so tests drive it without timers; `checkNow()` is one poll.
 */
import { stat as fsStat } from 'node:fs/promises';
import { systemClock, type Clock } from '../../../backbone/clock/clock.ts';
import { ScreeningError, ScreeningErrorCodes } from '../errors.ts';
import { isUrl, listIdOf, sourceFiles, type ListSource } from '../lists/source.ts';
import type { ReloadOutcome, SanctionsListStore } from './list-store.ts';

export type StatFile = (path: string) => Promise<{ mtimeMs: number; size: number }>;

/** A list file's state for change detection: modification time and size, or an URL's validators. */
async function fingerprintOf(path: string, stat: StatFile | undefined): Promise<string> {
  if (stat || !isUrl(path)) {
    const stats = await (stat ?? fsStat)(path);
    return `${stats.mtimeMs}:${stats.size}`;
  }
  const response = await fetch(path, { method: 'HEAD', signal: AbortSignal.timeout(30_000), redirect: 'follow' });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${path}`);
  const validators = ['etag', 'last-modified', 'content-length'].map((name) => response.headers.get(name) ?? '');
  // A server that gives none of them cannot say it changed: the list is then reloaded at every poll
  // (the store keeps the version in force when the content is the same).
  return validators.some((value) => value !== '') ? validators.join('|') : `unknown:${Date.now()}`;
}

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
  readonly #stat: StatFile | undefined;
  readonly #clock: Clock;
  readonly #seen = new Map<string, string>();
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: ListWatcherOptions) {
    this.#pollIntervalMs = options.pollIntervalMs ?? 30_000;
    if (!(this.#pollIntervalMs > 0)) throw new ScreeningError(ScreeningErrorCodes.INVALID_OPTIONS, 'pollIntervalMs must be positive');
    this.#store = options.store;
    this.#files = options.sources.map((source) => ({ listId: listIdOf(source), paths: sourceFiles(source) }));
    this.#stat = options.stat;
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
        const fingerprint = await fingerprintOf(path, this.#stat).catch(() => 'missing');
        if (this.#seen.get(path) !== fingerprint) changed = true;
        this.#seen.set(path, fingerprint);
      }
      if (changed && !options.baselineOnly) outcomes.push(await this.#store.reload(listId));
    }
    return outcomes;
  }
}
