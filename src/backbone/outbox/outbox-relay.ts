import type { Database } from '../storage/database.ts';
import { tryAcquireSessionLock, type HeldSessionLock } from '../storage/session-lock.ts';
import type { EventBus, OutgoingMessage } from '../messaging/event-bus.ts';
import { decodeHeaders } from '../messaging/headers.ts';
import { systemClock, type Clock } from '../clock/clock.ts';
import { NotifiedLoop } from '../concurrency/notified-loop.ts';
import { assertIdentifier, defaultOutboxTable, type OutboxTable } from './migrations.ts';
import { FaultPoints, type FaultInjector } from '../faults.ts';

export interface OutboxRelayOptions {
  db: Database;
  /** Where the rows go: the event bus, or any publisher that resolves once the broker has them. */
  bus: Pick<EventBus, 'publish'>;
  /** The outbox table, its NOTIFY channel and its relay's lock. Default: the event bus's `outbox`. */
  outbox?: OutboxTable;
  clock?: Clock;
  /** Rows published per round. Default 1000. */
  batchRows?: number;
  /** Longest sleep without a notification (safety net for a lost NOTIFY). Default 5000. */
  idlePollMs?: number;
  /** Pause after a failed publish before trying again. Default 1000. */
  failureBackoffMs?: number;
  /** Called after each failed round (e.g. the broker is down); the relay keeps trying. */
  onError?: (error: unknown) => void;
  /** Called after each published batch, for metrics. */
  onPublished?: (messages: readonly OutgoingMessage[]) => void;
  /** Crash points for fault-injection tests; unset in production. */
  faults?: FaultInjector;
}

export interface OutboxBacklog {
  rows: bigint;
  oldestAgeMs: number;
}

/**
 * Publishes outbox rows to the bus, oldest first, and deletes them once the bus acknowledged them
 * (in the statement that reads the next rows: one round trip per round).
 *
 * - Order: rows are read in id order and published in one call per round, so rows of one key
 *   (one partition) keep their order. One relay per database is active (a session lock), so two
 *   relays never interleave.
 * - Crash safety: a crash after publishing and before deleting publishes those rows again when
 *   the relay restarts; consumers drop the duplicates by event id.
 * - Wake-ups: a NOTIFY from the writing transaction, not a polling interval.
 */
export class OutboxRelay {
  readonly #options: Required<Omit<OutboxRelayOptions, 'onError' | 'onPublished' | 'faults'>> &
    Pick<OutboxRelayOptions, 'onError' | 'onPublished' | 'faults'>;
  #stopping = false;
  /** Standing by for the session lock, then starting the loop. */
  #starting: Promise<void> | undefined;
  #abort = new AbortController();
  #lock: HeldSessionLock | undefined;
  #loop: NotifiedLoop | undefined;
  #stopped: Promise<void> | undefined;
  /** Ids published by the last round, deleted by the next (see `#publishOnce`). */
  #published: bigint[] = [];

  constructor(options: OutboxRelayOptions) {
    this.#options = {
      clock: systemClock,
      batchRows: 1000,
      idlePollMs: 5000,
      failureBackoffMs: 1000,
      outbox: defaultOutboxTable,
      ...options,
    };
    assertIdentifier(this.#options.outbox.table);
  }

  start(): void {
    this.#starting ??= this.#start();
  }

  /** Graceful: the round in progress finishes, what it published is deleted, the lock released. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    this.#abort.abort();
    await this.#starting;
    await this.#loop?.stop();
    // A crash instead would leave them to be published again, which consumers drop by event id.
    await this.#deletePublished().catch((error: unknown) => this.#options.onError?.(error));
    await this.#lock?.release();
  }

  /** How far behind the relay is: unpublished rows and the age of the oldest. */
  async backlog(): Promise<OutboxBacklog> {
    const result = await this.#options.db.query<{ rows: bigint; oldest: Date | null }>(
      `select count(*)::int8 as rows, min(created_at) as oldest from ${this.#options.outbox.table}`,
    );
    const row = result.rows[0]!;
    return { rows: row.rows, oldestAgeMs: row.oldest ? Math.max(0, this.#options.clock.nowMs() - row.oldest.getTime()) : 0 };
  }

  /** Publishes everything visible now; returns the rows published. For tools and tests. */
  async drain(): Promise<number> {
    let total = 0;
    for (let published = -1; published !== 0; total += published) published = await this.#publishOnce();
    await this.#deletePublished();
    return total;
  }

  /**
   * Stands by until this relay holds the session lock (one relay per database publishes), then
   * runs rounds woken by the writers' NOTIFY, or after `idlePollMs` without one.
   */
  async #start(): Promise<void> {
    const { db, idlePollMs, failureBackoffMs, clock } = this.#options;
    const loop = new NotifiedLoop({
      db,
      channel: this.#options.outbox.channel,
      failureBackoffMs,
      onError: (error) => this.#options.onError?.(error),
      round: async () => {
        while (!loop.stopping && (await this.#publishOnce()) > 0);
        return idlePollMs;
      },
    });
    while (!this.#stopping) {
      try {
        this.#lock ??= await tryAcquireSessionLock(db, this.#options.outbox.lockName, 2000);
        if (!this.#lock) {
          await clock.sleep(idlePollMs, this.#abort.signal);
          continue;
        }
        await loop.start();
        this.#loop = loop;
        return;
      } catch (error) {
        // The database is down (at startup, say): keep standing by rather than give up.
        this.#options.onError?.(error);
        await clock.sleep(failureBackoffMs, this.#abort.signal);
      }
    }
  }

  /**
   * One round: deletes the rows the previous round published and reads the next ones in one
   * statement, publishes them, and leaves them to the next round to delete. The loop always runs
   * one more round after publishing (to see whether more came), so published rows are deleted at
   * once, and a round costs one round trip to the database instead of two.
   */
  async #publishOnce(): Promise<number> {
    const { db, bus, batchRows } = this.#options;
    const { table } = this.#options.outbox;
    const published = this.#published;
    const result = await db.query<{ id: bigint; topic: string; key: Buffer; value: Buffer | null; headers: unknown }>(
      published.length === 0
        ? `select id, topic, key, value, headers from ${table} order by id limit $1`
        : // The select sees the statement's snapshot, from before the delete: hence the id filter.
          `with deleted as (delete from ${table} where id = any($2::int8[]))
           select id, topic, key, value, headers from ${table} where id <> all($2::int8[]) order by id limit $1`,
      published.length === 0 ? [batchRows] : [batchRows, published],
    );
    this.#published = [];
    if (result.rows.length === 0) return 0;
    const messages: OutgoingMessage[] = result.rows.map((row) => ({
      topic: row.topic,
      key: row.key,
      value: row.value,
      headers: decodeHeaders(row.headers),
    }));
    await bus.publish(messages);
    this.#options.faults?.reach(FaultPoints.relayAfterPublish);
    this.#published = result.rows.map((row) => row.id);
    this.#options.onPublished?.(messages);
    return messages.length;
  }

  /** Deletes what the last round published, when no further round will (stopping, draining). */
  async #deletePublished(): Promise<void> {
    if (this.#published.length === 0) return;
    await this.#options.db.query(`delete from ${this.#options.outbox.table} where id = any($1::int8[])`, [this.#published]);
    this.#published = [];
  }
}
