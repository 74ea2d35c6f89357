/**
 * The worker thread of `PgliteWorkerDatabase`: hosts a `PgliteDatabase` (so PGlite, its type
 * parsers and its data-directory lock are exactly the in-process adapter's) and serves the
 * requests of `pglite-worker-protocol.ts`. Loaded by Node directly (type stripping), not bundled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SqlRunner, Unlisten } from '../storage/database.ts';
import { PgliteDatabase } from './pglite-database.ts';
import {
  compactBytes,
  convertRowsInPlace,
  reviveBytes,
  serializeError,
  type WorkerData,
  type WorkerReply,
  type WorkerRequest,
} from './pglite-worker-protocol.ts';

type StatementRequest = Extract<WorkerRequest, { op: 'query' | 'exec' }>;
type TransactionRequest = StatementRequest | Extract<WorkerRequest, { op: 'end' }>;

if (!parentPort) throw new Error('pglite-worker.ts runs only as a worker thread (see PgliteWorkerDatabase)');
const port = parentPort;
const { dataDir } = workerData as WorkerData;

/** Open transactions by id: the requests `work` sends on the main thread, waiting to be served. */
const transactions = new Map<number, Mailbox<TransactionRequest>>();
const unlistens = new Map<number, Unlisten>();
/** Thrown inside `db.transaction` to make it roll back when the main thread's `work` threw. */
const rollbackRequested = Symbol('rollback requested');

const db = await openDatabase();
port.on('message', (request: WorkerRequest) => handle(request));

async function openDatabase(): Promise<PgliteDatabase> {
  try {
    const opened = await PgliteDatabase.open(dataDir ? { dataDir } : {});
    post({ kind: 'reply', id: 0, ok: true });
    return opened;
  } catch (error) {
    // The main thread rejects its open with this error and terminates the thread.
    post({ kind: 'reply', id: 0, ok: false, error: serializeError(error) });
    return new Promise<never>(() => {});
  }
}

/**
 * Requests are served concurrently, as calls on the in-process adapter would be: PGlite itself
 * makes a plain query wait while a transaction is open, and serves that transaction's own
 * statements meanwhile (they go through `tx`, which does not wait for the transaction lock).
 */
function handle(request: WorkerRequest): void {
  switch (request.op) {
    case 'query':
    case 'exec':
      if (request.txId === undefined) void answer(request.id, () => runStatement(db, request));
      else routeToTransaction(request.txId, request);
      return;
    case 'begin':
      return begin(request.id);
    case 'end':
      // Removed at once: a statement sent after the end finds the transaction closed.
      routeToTransaction(request.txId, request);
      transactions.delete(request.txId);
      return;
    case 'listen':
      void answer(request.id, async () => {
        const listenerId = request.id;
        unlistens.set(listenerId, await db.listen(request.channel, (payload) => post({ kind: 'notify', listenerId, payload })));
      });
      return;
    case 'unlisten':
      void answer(request.id, async () => {
        const unlisten = unlistens.get(request.listenerId);
        unlistens.delete(request.listenerId);
        await unlisten?.();
      });
      return;
    case 'close':
      void answer(request.id, () => db.close());
      return;
    case 'crash':
      setImmediate(() => {
        throw new Error('crash injected by a test');
      });
      return;
  }
}

/**
 * Holds PGlite's transaction open while the main thread's `work` runs: answers the `begin` once
 * BEGIN has run, serves the transaction's statements in arrival order, and returns (COMMIT) or
 * throws (ROLLBACK) when the `end` arrives; the `end` is answered once that has happened.
 */
function begin(txId: number): void {
  const mailbox = new Mailbox<TransactionRequest>();
  transactions.set(txId, mailbox);
  let endId: number | undefined;
  const served = db.transaction(async (tx) => {
    post({ kind: 'reply', id: txId, ok: true });
    for (;;) {
      const request = await mailbox.take();
      if (request.op === 'end') {
        endId = request.id;
        if (request.commit) return;
        throw rollbackRequested;
      }
      // A failed statement is answered as such and the transaction stays open: `work` decides.
      await answer(request.id, () => runStatement(tx, request));
    }
  });
  served.then(
    () => post({ kind: 'reply', id: endId!, ok: true }),
    (error: unknown) => {
      if (endId === undefined) {
        // BEGIN itself failed: the main thread is still waiting for the `begin` answer.
        transactions.delete(txId);
        post({ kind: 'reply', id: txId, ok: false, error: serializeError(error) });
      } else if (error === rollbackRequested) {
        post({ kind: 'reply', id: endId, ok: true });
      } else {
        post({ kind: 'reply', id: endId, ok: false, error: serializeError(error) });
      }
    },
  );
}

function routeToTransaction(txId: number, request: TransactionRequest): void {
  const mailbox = transactions.get(txId);
  if (mailbox) mailbox.put(request);
  else post({ kind: 'reply', id: request.id, ok: false, error: serializeError(new Error('Transaction is closed')) });
}

async function runStatement(runner: SqlRunner, request: StatementRequest): Promise<unknown> {
  if (request.op === 'exec') return void (await runner.exec(request.sql));
  const params = request.params && (reviveBytes(request.params) as unknown[]);
  const result = await runner.query(request.sql, params);
  convertRowsInPlace(result.rows, compactBytes);
  return result;
}

/** Replies with what `work` returns or throws; a reply that cannot be cloned becomes an error. */
async function answer(id: number, work: () => Promise<unknown>): Promise<void> {
  try {
    post({ kind: 'reply', id, ok: true, value: await work() });
  } catch (error) {
    post({ kind: 'reply', id, ok: false, error: serializeError(error) });
  }
}

function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

/** A queue with one consumer that awaits the next item. */
class Mailbox<T> {
  readonly #items: T[] = [];
  #waiting: ((item: T) => void) | undefined;

  put(item: T): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting(item);
    else this.#items.push(item);
  }

  take(): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    return new Promise((resolve) => (this.#waiting = resolve));
  }
}
