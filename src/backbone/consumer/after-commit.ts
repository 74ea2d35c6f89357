import type { Logger } from '../observability/logger.ts';
import { currentLogContext, withLogContext } from '../observability/log-context.ts';

/** `effect`, run later in the log context it was registered in (the event's, see `BatchProcessor`). */
export function inCurrentLogContext(effect: () => Promise<void>): () => Promise<void> {
  const context = currentLogContext();
  return context === undefined ? effect : () => withLogContext(context, effect);
}

/**
 * The handlers' after-commit effects of a committed transaction, concurrently. A failure is logged,
 * not retried: an effect has a recovery path of its own (see `HandlerContext.afterCommit`).
 */
export async function runAfterCommit(effects: readonly (() => Promise<void>)[], logger: Logger, consumer: string): Promise<void> {
  if (effects.length === 0) return;
  const outcomes = await Promise.allSettled(effects.map((effect) => effect()));
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected')
      logger.error({ err: outcome.reason, consumer }, 'an after-commit effect failed; its recovery path takes over');
  }
}
