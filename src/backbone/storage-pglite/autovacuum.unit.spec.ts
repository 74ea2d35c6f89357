import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../clock/clock.ts';
import { EmbeddedAutovacuum } from './autovacuum.ts';
import { PgliteWorkerDatabase } from './pglite-worker-database.ts';

/** A clock whose sleeps end at once (on the next turn), recording how long each was asked to be. */
function recordingClock(): Clock & { pauses: number[] } {
  const pauses: number[] = [];
  return {
    pauses,
    nowMs: () => Date.now(),
    sleep: (delayMs) => {
      pauses.push(delayMs);
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('EmbeddedAutovacuum', () => {
  let db: PgliteWorkerDatabase | undefined;
  let autovacuum: EmbeddedAutovacuum | undefined;
  afterEach(async () => {
    await autovacuum?.stop();
    await db?.close();
    autovacuum = db = undefined;
  });

  it('gives the planner the statistics of a table filled since start, and reclaims the rows deleted from it', async () => {
    db = await PgliteWorkerDatabase.open();
    await db.exec(`create table holds (id int primary key, state text not null);
      insert into holds select g, 'held' from generate_series(1, 5000) g;
      delete from holds where id <= 4000;`);
    const before = await db.query<{ reltuples: number; relpages: number }>(`select reltuples::int8 as reltuples, relpages from pg_class where relname = 'holds'`);
    expect(Number(before.rows[0]!.reltuples)).toBe(-1); // never analysed: the planner guesses

    const runs: number[] = [];
    autovacuum = new EmbeddedAutovacuum({ db, clock: recordingClock(), onRun: ({ durationMs }) => runs.push(durationMs) });
    autovacuum.start();
    await expect.poll(() => runs.length).toBeGreaterThan(0);
    await autovacuum.stop();

    const after = await db.query<{ reltuples: string; last_vacuum: Date | null; last_analyze: Date | null }>(
      `select c.reltuples::int8::text as reltuples, s.last_vacuum, s.last_analyze
         from pg_class c join pg_stat_user_tables s on s.relid = c.oid where c.relname = 'holds'`,
    );
    expect(after.rows[0]!.reltuples).toBe('1000');
    expect(after.rows[0]!.last_vacuum).not.toBeNull();
    expect(after.rows[0]!.last_analyze).not.toBeNull();
    // The planner now knows the table holds 1,000 rows instead of guessing from its pages.
    const plan = await db.query<{ 'QUERY PLAN': string }>(`explain select * from holds`);
    expect(plan.rows[0]!['QUERY PLAN']).toMatch(/rows=1000 /);
  });

  it('pauses after a run for the run time times the ratio, within the bounds', async () => {
    db = await PgliteWorkerDatabase.open();
    const clock = recordingClock();
    const runs: number[] = [];
    autovacuum = new EmbeddedAutovacuum({ db, clock, minIntervalMs: 1, maxIntervalMs: 1_000_000, pauseToRunRatio: 1000, onRun: ({ durationMs }) => runs.push(durationMs) });
    autovacuum.start();
    await expect.poll(() => runs.length).toBeGreaterThanOrEqual(3);
    await autovacuum.stop();

    expect(clock.pauses[0]).toBe(1); // the first run waits the shortest pause
    for (const [i, durationMs] of runs.slice(0, 2).entries()) expect(clock.pauses[i + 1]).toBe(Math.max(1, durationMs * 1000));
  });

  it('uses the longest pause after a run that failed, and runs no more once stopped', async () => {
    db = await PgliteWorkerDatabase.open();
    const clock = recordingClock();
    const errors: unknown[] = [];
    await db.exec('create table t (id int)');
    await db.exec('begin'); // VACUUM refuses to run inside a transaction block
    autovacuum = new EmbeddedAutovacuum({ db, clock, minIntervalMs: 5, maxIntervalMs: 7, onError: (error) => errors.push(error) });
    autovacuum.start();
    await expect.poll(() => errors.length).toBeGreaterThanOrEqual(1);
    await autovacuum.stop();
    const pausesAtStop = clock.pauses.length;
    expect(clock.pauses.slice(0, 2)).toEqual([5, 7]);
    expect(String(errors[0])).toMatch(/VACUUM cannot run inside a transaction block/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(clock.pauses.length).toBe(pausesAtStop);
    await db.exec('rollback');
  });

  it('refuses bounds that would never pause', () => {
    expect(() => new EmbeddedAutovacuum({ db: undefined as never, minIntervalMs: 0 })).toThrow(/minIntervalMs/);
    expect(() => new EmbeddedAutovacuum({ db: undefined as never, minIntervalMs: 10, maxIntervalMs: 5 })).toThrow(/maxIntervalMs/);
  });
});
