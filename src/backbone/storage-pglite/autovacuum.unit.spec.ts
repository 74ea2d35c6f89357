import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedAutovacuum, pauseAfterRun } from './autovacuum.ts';
import { PgliteWorkerDatabase } from './pglite-worker-database.ts';

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
    const before = await db.query<{ reltuples: number; relpages: number }>(
      `select reltuples::int8 as reltuples, relpages from pg_class where relname = 'holds'`,
    );
    expect(Number(before.rows[0]!.reltuples)).toBe(-1); // never analysed: the planner guesses

    const runs: number[] = [];
    autovacuum = new EmbeddedAutovacuum({ db, minIntervalMs: 10, onRun: ({ durationMs }) => runs.push(durationMs) });
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

  it('pauses after a run for the run time times the ratio, within the bounds', () => {
    const bounds = { minIntervalMs: 1, maxIntervalMs: 1_000_000, pauseToRunRatio: 1000 };
    expect(pauseAfterRun(3.5, bounds)).toBe(3500);
    expect(pauseAfterRun(0.0001, bounds)).toBe(1); // never below the shortest pause
    expect(pauseAfterRun(5_000, bounds)).toBe(1_000_000); // never above the longest
  });

  it('waits the shortest pause before its first run', async () => {
    db = await PgliteWorkerDatabase.open();
    await db.exec('create table t (id int)');
    const runs: number[] = [];
    const startedMs = performance.now();
    autovacuum = new EmbeddedAutovacuum({ db, minIntervalMs: 200, onRun: () => runs.push(performance.now() - startedMs) });
    autovacuum.start();
    await expect.poll(() => runs.length).toBeGreaterThan(0);
    expect(runs[0]).toBeGreaterThanOrEqual(199);
  });

  it('reports a run that failed and tries again after the longest pause, and runs no more once stopped', async () => {
    db = await PgliteWorkerDatabase.open();
    await db.exec('create table t (id int)');
    await db.exec('begin'); // VACUUM refuses to run inside a transaction block
    const errors: unknown[] = [];
    const errorAtMs: number[] = [];
    autovacuum = new EmbeddedAutovacuum({
      db,
      minIntervalMs: 5,
      maxIntervalMs: 100,
      onError: (error) => (errors.push(error), errorAtMs.push(performance.now())),
    });
    autovacuum.start();
    await expect.poll(() => errors.length).toBeGreaterThanOrEqual(2);
    await autovacuum.stop();
    const errorsAtStop = errors.length;
    expect(String(errors[0])).toMatch(/VACUUM cannot run inside a transaction block/);
    expect(errorAtMs[1]! - errorAtMs[0]!).toBeGreaterThanOrEqual(99); // the longest pause, not the shortest
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors.length).toBe(errorsAtStop);
    await db.exec('rollback');
  });

  it('refuses bounds that would never pause', () => {
    expect(() => new EmbeddedAutovacuum({ db: undefined as never, minIntervalMs: 0 })).toThrow(/minIntervalMs/);
    expect(() => new EmbeddedAutovacuum({ db: undefined as never, minIntervalMs: 10, maxIntervalMs: 5 })).toThrow(/maxIntervalMs/);
  });
});
