/**
 * The stage's counters: how many events its handler ran, in how many transactions, and what the
 * relay published. They are kept by wrapping the database port and through the relay's own
 * `onPublished` callback, so the backbone runs exactly as shipped; the wrapper adds one counter
 * increment per transaction, nothing per statement.
 */
import type { Database } from '../../src/backbone/storage/database.ts';
import { observedDatabase } from '../../src/backbone/testing/observed-database.ts';

export interface StageStats {
  /** Handler calls: one per input event, more if a batch was rolled back and run again. */
  handled: number;
  /** Committed or rolled-back database transactions of the stage (the relay runs none). */
  transactions: number;
  /** Rounds in which the relay published (Kafka engine), and the rows they published. */
  relayRounds: number;
  relayPublished: number;
  /** CPU time of the stage's process, user + system (embedded: the whole process, PGlite's thread included). */
  cpuMs: number;
}

export const emptyStats: StageStats = { handled: 0, transactions: 0, relayRounds: 0, relayPublished: 0, cpuMs: 0 };

export class StageCounters {
  handled = 0;
  transactions = 0;
  relayRounds = 0;
  relayPublished = 0;
  readonly #cpuAtStart = process.cpuUsage();

  snapshot(): StageStats {
    const cpu = process.cpuUsage(this.#cpuAtStart);
    return {
      handled: this.handled,
      transactions: this.transactions,
      relayRounds: this.relayRounds,
      relayPublished: this.relayPublished,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  }
}

/** `b - a`, counter by counter: what happened between two snapshots. */
export function statsBetween(a: StageStats, b: StageStats): StageStats {
  return {
    handled: b.handled - a.handled,
    transactions: b.transactions - a.transactions,
    relayRounds: b.relayRounds - a.relayRounds,
    relayPublished: b.relayPublished - a.relayPublished,
    cpuMs: b.cpuMs - a.cpuMs,
  };
}

/** The database, counting the stage's transactions; everything else passes straight through. */
export function countTransactions(db: Database, counters: StageCounters): Database {
  return observedDatabase(db, { onTransaction: () => counters.transactions++ });
}
