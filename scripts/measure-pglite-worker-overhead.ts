/**
 * Measures what running PGlite in a worker thread costs: statements per second, in-process vs
 * worker, for single-row inserts, for inserts batched in one transaction and for reads by key, in
 * memory and on disk. Not a test (the numbers depend on the machine and its load); the adapter's
 * doc comment quotes a run. The two adapters run in alternating rounds, so that a change in the
 * machine's load hits both alike; each figure is the median of the rounds, after a warm-up round.
 *
 *   node src/backbone/storage-pglite/measure-worker-overhead.ts [statements per round]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../src/backbone/storage/database.ts';
import { PgliteDatabase } from '../src/backbone/storage-pglite/pglite-database.ts';
import { PgliteWorkerDatabase } from '../src/backbone/storage-pglite/pglite-worker-database.ts';

const statements = Number(process.argv[2] ?? 1_000);
const rounds = 7;
const body = Buffer.alloc(100, 1);

type Workload = (db: Database, firstId: bigint) => Promise<unknown>;
const workloads: Record<string, Workload> = {
  insert: async (db, firstId) => {
    for (let i = 0n; i < statements; i++) await db.query(`insert into measured values ($1, $2)`, [firstId + i, body]);
  },
  'insert, one transaction': (db, firstId) =>
    db.transaction(async (tx) => {
      for (let i = 0n; i < statements; i++) await tx.query(`insert into measured values ($1, $2)`, [firstId + i, body]);
    }),
  'select by key': async (db) => {
    for (let i = 0; i < statements; i++) await db.query(`select id, body from measured where id = $1`, [BigInt(i)]);
  },
};

for (const storage of ['memory', 'disk'] as const) {
  const dirs = storage === 'disk' ? [0, 1].map(() => mkdtempSync(join(tmpdir(), 'paystream-measure-'))) : [];
  const inProcess = await PgliteDatabase.open({ dataDir: dirs[0] });
  const worker = await PgliteWorkerDatabase.open({ dataDir: dirs[1] });
  try {
    for (const db of [inProcess, worker]) await db.exec(`create table measured (id int8 primary key, body bytea not null)`);
    let nextId = 0n;
    for (const [name, workload] of Object.entries(workloads)) {
      const rates: [number[], number[]] = [[], []];
      for (let round = 0; round <= rounds; round++) {
        const firstId = nextId;
        nextId += BigInt(statements);
        for (const [index, db] of [inProcess, worker].entries()) {
          const startMs = performance.now();
          await workload(db, firstId);
          if (round > 0) rates[index]!.push(statements / ((performance.now() - startMs) / 1000));
        }
      }
      const [a, b] = rates.map(median);
      process.stdout.write(
        `${storage.padEnd(6)} ${name.padEnd(24)} in-process ${a}/s  worker ${b}/s  worker overhead ${(1000 / b! - 1000 / a!).toFixed(3)} ms/statement\n`,
      );
    }
  } finally {
    await Promise.all([inProcess.close(), worker.close()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  return Math.round([...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!);
}
