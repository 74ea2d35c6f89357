import { readFileSync } from 'node:fs';
import pino from 'pino';
import { openBackbone, type Backbone } from '../runtime/backbone.ts';
import type { PaystreamConfig } from '../runtime/config.ts';
import { dataDirLockFile } from '../backbone/storage-pglite/data-dir-lock.ts';
import { createLogger } from '../backbone/observability/logger.ts';
import { CliError } from './cli-error.ts';

/**
 * Opens the backbone for an admin command that works on the database itself, runs `work`, closes.
 * When the embedded database is held by a running platform (PGlite is one process's alone), it
 * opens nothing and fails with one line: `instead` says what to do (stop the platform, use its API).
 * The backbone's own warnings (autovacuum off on the server...) are the platform's to log: the
 * command logs errors only, on stderr, unless `debug`.
 */
export async function withLocalBackbone<T>(
  config: PaystreamConfig,
  options: { instead: string; debug: boolean },
  work: (backbone: Backbone) => Promise<T>,
): Promise<T> {
  if (config.database.kind === 'pglite') {
    const holder = lockHolder(config.database.dataDir);
    if (holder !== undefined)
      throw new CliError(
        `paystream (process ${holder}) is running on the embedded database ${config.database.dataDir}: ${options.instead}`,
      );
  }
  const logger = createLogger({
    level: options.debug ? 'debug' : 'error',
    service: 'paystream-cli',
    destination: pino.destination({ dest: 2, sync: true }),
  });
  const backbone = await openBackbone(config, logger);
  try {
    return await work(backbone);
  } finally {
    await backbone.close();
  }
}

/** The live process holding the embedded data directory's lock, if any. */
function lockHolder(dataDir: string): number | undefined {
  let holder: number;
  try {
    holder = Number.parseInt(readFileSync(dataDirLockFile(dataDir), 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(holder) || holder <= 0 || holder === process.pid) return undefined;
  try {
    process.kill(holder, 0);
    return holder;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? holder : undefined;
  }
}
