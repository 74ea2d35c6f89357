import type { Database, Unlisten } from '../storage/database.ts';
import { WakeSignal } from './wake-signal.ts';

export interface NotifiedLoopOptions {
  db: Pick<Database, 'listen'>;
  /** The NOTIFY channel whose notifications start a round at once; without one, rounds come only after their pauses. */
  channel?: string;
  /** One round of work; resolves to how long to sleep before the next (unless notified sooner). */
  round: () => Promise<number>;
  /** Pause before the first round (or a notification, whichever comes first). Default 0: at once. */
  firstRoundAfterMs?: number;
  /** Sleep after a round that threw (the database is down). */
  failureBackoffMs: number;
  onError: (error: unknown) => void;
}

/**
 * A background loop woken by PostgreSQL NOTIFY rather than a polling interval: it runs a round,
 * then sleeps until a notification arrives or the round's own timeout passes (the safety net for a
 * notification lost while the listening connection was down). A notification that arrives during
 * a round starts the next one at once. `stop` is graceful: the current round finishes.
 */
export class NotifiedLoop {
  readonly #options: NotifiedLoopOptions;
  readonly #wake = new WakeSignal();
  #stopping = false;
  #running: Promise<void> | undefined;
  #unlisten: Unlisten | undefined;

  constructor(options: NotifiedLoopOptions) {
    this.#options = options;
  }

  /** True once `stop` was called: rounds that loop internally should end early. */
  get stopping(): boolean {
    return this.#stopping;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#stopping = false;
    const { channel } = this.#options;
    if (channel !== undefined) this.#unlisten = await this.#options.db.listen(channel, () => this.#wake.wake());
    this.#running = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake.wake();
    await this.#running;
    this.#running = undefined;
    await this.#unlisten?.();
    this.#unlisten = undefined;
  }

  async #run(): Promise<void> {
    const firstRoundAfterMs = this.#options.firstRoundAfterMs ?? 0;
    if (firstRoundAfterMs > 0) await this.#wake.wait(this.#wake.generation, firstRoundAfterMs);
    while (!this.#stopping) {
      // Read before the round, so a NOTIFY that arrives during it starts another round at once.
      const seen = this.#wake.generation;
      let waitMs: number;
      try {
        waitMs = await this.#options.round();
      } catch (error) {
        this.#options.onError(error);
        waitMs = this.#options.failureBackoffMs;
      }
      if (!this.#stopping) await this.#wake.wait(seen, waitMs);
    }
  }
}
