/**
 * The messages between `PgliteWorkerDatabase` (main thread) and `pglite-worker.ts` (the thread that
 * runs PGlite), and the conversions that keep values intact across structured cloning.
 *
 * Every request carries an `id`; the worker answers each with exactly one reply of that id. The
 * worker's first reply has id 0 and answers the open. A transaction is a `begin` (its id becomes the
 * transaction id), requests tagged with that `txId`, and one `end` that commits or rolls back.
 */
export type WorkerRequest =
  | { op: 'query'; id: number; txId?: number; sql: string; params?: unknown[] }
  | { op: 'exec'; id: number; txId?: number; sql: string }
  | { op: 'begin'; id: number }
  | { op: 'end'; id: number; txId: number; commit: boolean }
  | { op: 'listen'; id: number; channel: string }
  | { op: 'unlisten'; id: number; listenerId: number }
  | { op: 'close'; id: number }
  /** Fault injection for tests: the worker throws an uncaught error, as a crash would. */
  | { op: 'crash'; id: number };

export type WorkerReply =
  | { kind: 'reply'; id: number; ok: true; value?: unknown }
  | { kind: 'reply'; id: number; ok: false; error: SerializedError }
  /** A NOTIFY for the listener registered by the `listen` request of id `listenerId`. */
  | { kind: 'notify'; listenerId: number; payload: string };

export interface WorkerData {
  dataDir: string | undefined;
}

/**
 * An error as it crosses the thread boundary. Structured cloning keeps an Error's message but drops
 * its own fields, so the PostgreSQL fields (`code` = SQLSTATE, `detail`, `constraint`, ...) travel
 * beside it explicitly.
 */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  fields: Record<string, string | number | boolean>;
}

/** Fields not worth copying: the parameters may be large, and the rest restate the error. */
const skippedErrorFields = new Set(['name', 'message', 'stack', 'params', 'queryOptions', 'cause']);

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), stack: undefined, fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    const type = typeof value;
    if (!skippedErrorFields.has(key) && (type === 'string' || type === 'number' || type === 'boolean')) fields[key] = value;
  }
  return { name: error.name, message: error.message, stack: error.stack, fields };
}

export function deserializeError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return Object.assign(error, serialized.fields);
}

/**
 * Before posting: copies every byte array that is a view into a larger buffer. Node's small Buffers
 * are slices of a shared 8 KiB pool, and cloning a view clones its whole underlying buffer.
 */
export function compactBytes(value: unknown): unknown {
  return mapBytes(value, (bytes) =>
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes),
  );
}

/**
 * After receiving: a Buffer arrives as a plain Uint8Array; make it a Buffer again (without copying)
 * so bytea results, and bytea parameters, behave exactly as in the in-process adapter (PGlite
 * renders a Uint8Array given for a text parameter as "1,2,3", a Buffer as its UTF-8 text).
 */
export function reviveBytes(value: unknown): unknown {
  return mapBytes(value, (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Applies `convert` to every column of `rows`, in place: the rows were just cloned or built. */
export function convertRowsInPlace(rows: unknown[], convert: (value: unknown) => unknown): void {
  for (const row of rows as Record<string, unknown>[]) {
    for (const column in row) {
      const value = row[column];
      if (value !== null && typeof value === 'object') row[column] = convert(value);
    }
  }
}

/** Applies `convert` to every byte array in arrays and plain objects (bytea[], jsonb parameters). */
function mapBytes(value: unknown, convert: (bytes: Uint8Array) => Uint8Array): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return convert(value);
  if (Array.isArray(value)) return value.some(mayHoldBytes) ? value.map((item) => mapBytes(item, convert)) : value;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  if (!Object.values(value).some(mayHoldBytes)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapBytes(item, convert)]));
}

function mayHoldBytes(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !(value instanceof Date);
}
