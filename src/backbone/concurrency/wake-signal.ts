/**
 * A wake-up that cannot be lost: a waiter remembers the generation it last saw before reading,
 * and `wait` returns at once if a `wake` happened since. Waiters also return after `timeoutMs`,
 * the safety net for a notification lost while the listening connection was down.
 */
export class WakeSignal {
  #generation = 0;
  #waiters = new Set<() => void>();
  readonly #listeners = new Set<() => void>();

  get generation(): number {
    return this.#generation;
  }

  wake(): void {
    this.#generation++;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const resolve of waiters) resolve();
    for (const listener of this.#listeners) listener();
  }

  /** Calls `listener` on every wake (e.g. to wake a signal of its own); returns the unsubscribe. */
  onWake(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  wait(seenGeneration: number, timeoutMs: number): Promise<void> {
    if (this.#generation !== seenGeneration) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.#waiters;
      function done(): void {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }
}
