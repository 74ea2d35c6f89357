import { Worker } from 'node:worker_threads';
import type { Database, DatabaseCapabilities, DatabaseSession, QueryResult, SqlRunner, Unlisten } from '../storage/database.ts';
import { BackboneError, ErrorCodes } from '../errors.ts';
import { dataDirLockFile, releaseDataDirLock } from './data-dir-lock.ts';
import {
  compactBytes,
  convertRowsInPlace,
  deserializeError,
  reviveBytes,
  type WorkerData,
  type WorkerReply,
  type WorkerRequest,
} from './pglite-worker-protocol.ts';

export interface PgliteWorkerDatabaseOptions {
  /** Data directory on disk; omit for a database in memory (unit tests). */
  dataDir?: string;
}

/**
 * The storage port on PGlite running in a worker thread, so that queries do not block this
 * thread's event loop (the HTTP API and the consumers share it in `npm start`). The worker hosts a
 * `PgliteDatabase`; everything that adapter documents holds here too (no fsync, one connection,
 * transactions serialised, the data-directory lock), plus:
 * - Every statement is a round trip between threads, and parameters and rows are copied by
 *   structured cloning: class instances arrive as plain objects, functions cannot be sent.
 *   That costs ~0.1-0.2 ms a statement (`measure-worker-overhead.ts`, 1,000 statements a round,
 *   on a loaded 2-core machine, so only the order of magnitude is reliable): single-row inserts
 *   ~2,000-4,000/s in-process vs ~1,700-2,700/s here; inserts in one transaction ~5,000-5,800/s
 *   vs ~2,900-3,400/s (a transaction's statements are cheapest in-process, so lose the most);
 *   reads by key nearly the same. The event loop, though, stays free while PostgreSQL works.
 * - If the worker thread dies, every pending and later call rejects with DATABASE_UNAVAILABLE;
 *   the database stays unusable until the process restarts (its data directory is released).
 * - An idle database does not keep the process alive (the worker is referenced only while a
 *   call is pending), like the in-process adapter.
 */
export class PgliteWorkerDatabase implements Database {
  readonly capabilities: DatabaseCapabilities = { crossSessionAdvisoryLocks: false, autovacuumDaemon: false };
  readonly #worker: Worker;
  readonly #lockFile: string | undefined;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #listeners = new Map<number, (payload: string) => void>();
  /** Id 0 is the open, answered by the worker unasked. */
  #nextId = 1;
  /** Set once the data directory is locked by the worker, so a crash knows to release it. */
  #opened = false;
  #closing: Promise<void> | undefined;
  /** Set when the worker has closed PGlite itself, and with it released the lock. */
  #closedCleanly = false;
  #crashCause: Error | undefined;
  /** Once the worker is gone, every call rejects with this. */
  #stopped: Error | undefined;

  private constructor(worker: Worker, dataDir: string | undefined) {
    this.#worker = worker;
    this.#lockFile = dataDir ? dataDirLockFile(dataDir) : undefined;
    worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    worker.on('error', (error) => (this.#crashCause ??= error));
    // A reply that cannot be deserialised would leave its caller waiting forever: treat as a crash.
    worker.on('messageerror', (error) => {
      this.#crashCause ??= error;
      void worker.terminate();
    });
    worker.on('exit', (exitCode) => this.#onExit(exitCode));
  }

  static async open(options: PgliteWorkerDatabaseOptions = {}): Promise<PgliteWorkerDatabase> {
    const workerData: WorkerData = { dataDir: options.dataDir };
    const worker = new Worker(new URL('./pglite-worker.ts', import.meta.url), { workerData, name: 'pglite' });
    const db = new PgliteWorkerDatabase(worker, options.dataDir);
    try {
      await new Promise((resolve, reject) => db.#pending.set(0, { resolve, reject }));
    } catch (error) {
      // Refused (e.g. the data directory is locked): the worker holds nothing, so just stop it.
      await worker.terminate();
      throw error;
    }
    db.#opened = true;
    db.#settled();
    return db;
  }

  query<Row extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.#query<Row>(sql, params, undefined);
  }

  exec(sql: string): Promise<void> {
    return this.#exec(sql, undefined);
  }

  /**
   * `work` runs here while PGlite's transaction stays open in the worker: its statements are sent
   * tagged with the transaction id, and an `end` request commits or rolls back. Plain statements
   * from other callers wait in the worker until the transaction ends (PGlite has one connection).
   */
  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    let txId = 0;
    await this.#call((id) => ({ op: 'begin', id: (txId = id) }));
    const tx: SqlRunner = {
      query: <Row extends object>(sql: string, params?: readonly unknown[]) => this.#query<Row>(sql, params, txId),
      exec: (sql: string) => this.#exec(sql, txId),
    };
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      // The error of `work` is the one worth reporting; a failed rollback (the worker died) adds
      // nothing, and PGlite has rolled back by then anyway.
      await this.#call((id) => ({ op: 'end', id, txId, commit: false })).catch(() => {});
      throw error;
    }
    await this.#call((id) => ({ op: 'end', id, txId, commit: true }));
    return result;
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<Unlisten> {
    let listenerId = 0;
    await this.#call((id) => {
      // Registered before the LISTEN is sent, so a notification right after it is not dropped.
      this.#listeners.set((listenerId = id), onNotify);
      return { op: 'listen', id, channel };
    }).catch((error: unknown) => {
      this.#listeners.delete(listenerId);
      throw error;
    });
    return async () => {
      this.#listeners.delete(listenerId);
      await this.#call((id) => ({ op: 'unlisten', id, listenerId }));
    };
  }

  async session(): Promise<DatabaseSession> {
    // One connection only: the "session" is the database itself, shared by the whole process.
    return { query: (sql, params) => this.query(sql, params), exec: (sql) => this.exec(sql), release: async () => {} };
  }

  /** Closes PGlite in the worker (which releases the data directory), then ends the thread. */
  close(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#closing ??= this.#call((id) => ({ op: 'close', id })).then(
      async () => {
        this.#closedCleanly = true;
        await this.#worker.terminate();
      },
      async (error: unknown) => {
        await this.#worker.terminate();
        throw error;
      },
    );
    return this.#closing;
  }

  /** Fault injection for tests: the worker throws an uncaught error, as a crash would. */
  simulateCrashForTesting(): void {
    this.#worker.postMessage({ op: 'crash', id: this.#nextId++ } satisfies WorkerRequest);
  }

  async #query<Row>(sql: string, params: readonly unknown[] | undefined, txId: number | undefined): Promise<QueryResult<Row>> {
    const sent = params && (compactBytes(params) as unknown[]);
    const result = (await this.#call((id) => ({ op: 'query', id, txId, sql, params: sent }))) as QueryResult<Row>;
    convertRowsInPlace(result.rows, reviveBytes);
    return result;
  }

  async #exec(sql: string, txId: number | undefined): Promise<void> {
    await this.#call((id) => ({ op: 'exec', id, txId, sql }));
  }

  #call(request: (id: number) => WorkerRequest): Promise<unknown> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // Throws a DataCloneError for a parameter that cannot be cloned (a function, a symbol).
      this.#worker.postMessage(request(id));
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
    });
  }

  #onReply(reply: WorkerReply): void {
    if (reply.kind === 'notify') {
      this.#listeners.get(reply.listenerId)?.(reply.payload);
      return;
    }
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    this.#settled();
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(deserializeError(reply.error));
  }

  /** An idle worker must not keep the process alive; one with a call pending must. */
  #settled(): void {
    if (this.#pending.size === 0) this.#worker.unref();
  }

  #onExit(exitCode: number): void {
    const cause = this.#crashCause;
    this.#stopped =
      this.#closing && !cause
        ? new BackboneError(ErrorCodes.DATABASE_UNAVAILABLE, 'the embedded database is closed', { retryable: false })
        : new BackboneError(
            ErrorCodes.DATABASE_UNAVAILABLE,
            `the embedded database's worker thread stopped unexpectedly (exit code ${exitCode}${cause ? `: ${cause.message}` : ''}); ` +
              `it stays unavailable until the process restarts`,
            // Retrying cannot help: nothing restarts the worker.
            { cause, retryable: false },
          );
    for (const pending of this.#pending.values()) pending.reject(this.#stopped);
    this.#pending.clear();
    this.#listeners.clear();
    // The worker's PGlite died with it, so the data directory is free again. Not after a clean
    // close: the worker released the lock then, and another open may have taken it since.
    if (this.#opened && !this.#closedCleanly && this.#lockFile) releaseDataDirLock(this.#lockFile);
  }
}
