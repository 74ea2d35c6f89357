import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './database.ts';

/**
 * The contract every storage adapter passes, written once: what the port promises on any engine,
 * and that each capability an adapter declares is what its engine does. Callers branch on
 * `capabilities`, never on which adapter they hold, so a wrong declaration would be a silent bug.
 */
export function databaseContract(name: string, open: () => Promise<Database>): void {
  describe(`Database contract: ${name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => db?.close());

    it('commits a transaction that resolves and leaves nothing of one that throws', async () => {
      await db.exec('create table contract_notes (id int primary key)');
      await db.transaction((tx) => tx.query('insert into contract_notes values (1)'));
      await expect(
        db.transaction(async (tx) => {
          await tx.query('insert into contract_notes values (2)');
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect((await db.query<{ id: number }>('select id from contract_notes order by id')).rows).toEqual([{ id: 1 }]);
    });

    it('declares crossSessionAdvisoryLocks exactly when a lock held by one session excludes another', async () => {
      const [holder, other] = [await db.session(), await db.session()];
      try {
        const key = 0x5eed;
        const lock = (session: typeof holder) =>
          session.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [key]);
        expect((await lock(holder)).rows[0]?.locked).toBe(true);
        // With one connection for the process, the "other" session is the holder again, and the
        // (re-entrant) lock is granted: such an engine must not claim that locks exclude sessions.
        expect((await lock(other)).rows[0]?.locked).toBe(!db.capabilities.crossSessionAdvisoryLocks);
        await holder.query('select pg_advisory_unlock_all()');
        await other.query('select pg_advisory_unlock_all()');
      } finally {
        await holder.release();
        await other.release();
      }
    });

    it('declares autovacuumDaemon exactly when the engine runs background processes that include one', async () => {
      // A server runs its checkpointer always and its autovacuum launcher when its settings leave
      // autovacuum on (the test server's are off, which the owner warns about); PGlite runs neither.
      const processes = await db.query<{ backend_type: string }>(
        `select distinct backend_type from pg_stat_activity where backend_type in ('checkpointer', 'autovacuum launcher')`,
      );
      const types = processes.rows.map((row) => row.backend_type);
      expect(types.includes('checkpointer')).toBe(db.capabilities.autovacuumDaemon);
      if (types.includes('autovacuum launcher')) expect(db.capabilities.autovacuumDaemon).toBe(true);
    });
  });
}
