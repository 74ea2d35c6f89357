import type { Logger } from 'pino';
import type { Database } from '../../backbone/storage/database.ts';
import { NotifiedLoop } from '../../backbone/concurrency/notified-loop.ts';
import type { BackgroundWorker } from '../service.ts';
import { chainPendingRound } from './chainer.ts';
import { auditPendingChannel } from './migrations.ts';

export interface AuditChainerOptions {
  db: Database;
  logger: Logger;
  /** Staged records chained per transaction (and per hold of the chain head lock). */
  batchEntries: number;
  /** Longest sleep without a wake-up: the safety net for a NOTIFY lost while disconnected. */
  idlePollMs: number;
  /** Pause after a round failed (the database is down). */
  failureBackoffMs: number;
}

/**
 * The audit chainer: moves staged records (`audit_pending`) into the hash chain (`audit_log`),
 * round after round while there are any, then sleeps until a staged insert's NOTIFY wakes it (or
 * `idlePollMs` passes). Exactly one transaction holds the chain head at a time, however many
 * processes run a chainer, so running one per process is safe; they take turns.
 *
 * The loop waits in real time; tests call `chainPending` instead of `start`.
 */
export class AuditChainer implements BackgroundWorker {
  readonly name = 'audit-chainer';
  readonly #options: AuditChainerOptions;
  readonly #loop: NotifiedLoop;

  constructor(options: AuditChainerOptions) {
    this.#options = options;
    this.#loop = new NotifiedLoop({
      db: options.db,
      channel: auditPendingChannel,
      failureBackoffMs: options.failureBackoffMs,
      onError: (error) =>
        options.logger.error(
          { err: { name: (error as Error)?.name, message: (error as Error)?.message } },
          'audit chaining round failed; retrying',
        ),
      round: async () => {
        await this.chainPending();
        return options.idlePollMs;
      },
    });
  }

  start(): Promise<void> {
    return this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Chains every record staged (and committed) now, round by round; returns how many were chained. */
  async chainPending(): Promise<number> {
    const { db, batchEntries, logger } = this.#options;
    let chained = 0;
    while (!this.#loop.stopping) {
      const round = await chainPendingRound(db, batchEntries);
      chained += round.chained;
      if (round.duplicates > 0)
        logger.info({ duplicates: round.duplicates }, 'dropped staged audit records whose event was already chained');
      // A short round means the queue is drained (of what was committed when it was read).
      if (round.taken < batchEntries) break;
    }
    return chained;
  }
}
