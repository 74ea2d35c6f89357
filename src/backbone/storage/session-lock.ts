import type { Database, DatabaseSession } from './database.ts';

/** A held lock; `lost` settles if the holder's database session dies. */
export interface HeldSessionLock {
  release(): Promise<void>;
  readonly lost: Promise<Error>;
}

const inProcessHolders = new WeakMap<Database, Set<string>>();

/**
 * Tries to take the named lock, which makes its holder the one active instance of something
 * (a consumer group member of the table log, the outbox relay). Within this process by a set of
 * held names per database, across processes by a PostgreSQL session-level advisory lock, which the
 * server releases when the holder's connection ends, e.g. because the process died. An engine whose
 * sessions share one connection (PGlite: no `crossSessionAdvisoryLocks`) needs only the in-process
 * part (a second process cannot open the same PGlite data directory anyway).
 */
export async function tryAcquireSessionLock(db: Database, lockName: string, livenessCheckMs: number): Promise<HeldSessionLock | undefined> {
  let held = inProcessHolders.get(db);
  if (!held) inProcessHolders.set(db, (held = new Set()));
  if (held.has(lockName)) return undefined;
  held.add(lockName);
  const releaseInProcess = () => void held.delete(lockName);

  if (!db.capabilities.crossSessionAdvisoryLocks) {
    return { release: async () => releaseInProcess(), lost: new Promise<Error>(() => {}) };
  }
  let session: DatabaseSession;
  try {
    session = await db.session();
  } catch (error) {
    releaseInProcess();
    throw error;
  }
  try {
    const got = await session.query<{ locked: boolean }>(`select pg_try_advisory_lock(hashtextextended($1, 0)) as locked`, [
      `paystream:${lockName}`,
    ]);
    if (!got.rows[0]?.locked) {
      await session.release();
      releaseInProcess();
      return undefined;
    }
  } catch (error) {
    await session.release().catch(() => {});
    releaseInProcess();
    throw error;
  }
  let timer: NodeJS.Timeout | undefined;
  let released = false;
  const lost = new Promise<Error>((resolve) => {
    const check = async () => {
      try {
        await session.query('select 1');
        if (!released) timer = setTimeout(check, livenessCheckMs);
      } catch (error) {
        if (!released) resolve(new Error(`lost the database session holding lock ${lockName}`, { cause: error }));
      }
    };
    timer = setTimeout(check, livenessCheckMs);
  });
  return {
    lost,
    release: async () => {
      released = true;
      clearTimeout(timer);
      releaseInProcess();
      // Ending the session releases the advisory lock on the server.
      await session.release().catch(() => {});
    },
  };
}
