import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The lock file of a PGlite data directory. It names the process that has the directory open: a
 * process id, not a thread, so the lock means the same whether PGlite runs on the main thread or in
 * a worker thread of this process.
 */
export function dataDirLockFile(dataDir: string): string {
  return join(dataDir, 'paystream.lock');
}

/**
 * Takes `<dataDir>/paystream.lock` for this process. A lock left by a process that is gone (crashed)
 * is taken over; one held by a live process is refused, since two PGlite instances on one
 * directory would each write their own diverging copy. A lock held by this very process is refused
 * too: a second PGlite instance in one process diverges just the same.
 */
export function acquireDataDirLock(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = dataDirLockFile(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lockFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `the embedded database at ${dataDir} is in use by process ${holder}; ` +
            `PGlite cannot share a data directory between processes (stop that process or choose another PAYSTREAM_DATA_DIR)`,
        );
      }
      if (holder === process.pid) {
        throw new Error(`the embedded database at ${dataDir} is already open in this process`);
      }
      unlinkSync(lockFile);
    }
  }
  writeFileSync(lockFile, String(process.pid));
  return lockFile;
}

/** Removes the lock file if this process holds it (it may already be gone). */
export function releaseDataDirLock(lockFile: string): void {
  try {
    if (readFileSync(lockFile, 'utf8') === String(process.pid)) unlinkSync(lockFile);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
