import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Fields every log line written inside `withLogContext` carries, without passing a logger around.
 * `correlationId` ties together every line of one business flow across services.
 */
export interface LogContext {
  correlationId?: string;
  causationId?: string;
  eventId?: string;
  traceId?: string;
  spanId?: string;
  [field: string]: unknown;
}

// One store per process: the context belongs to the async call chain, not to a logger, so every
// logger (and every child logger) sees the same fields.
const storage = new AsyncLocalStorage<Readonly<LogContext>>();

/**
 * Runs `fn` with `context` added to the surrounding context (inner fields win). The context follows
 * every promise and callback `fn` starts, and ends with it.
 */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  const outer = storage.getStore();
  return storage.run(Object.freeze(outer === undefined ? { ...context } : { ...outer, ...context }), fn);
}

/** The context of the current async call chain, if any. */
export function currentLogContext(): Readonly<LogContext> | undefined {
  return storage.getStore();
}
