import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../storage/database.ts';
import { ErrorCodes } from '../errors.ts';
import { PgliteDatabase } from './pglite-database.ts';
import { PgliteWorkerDatabase } from './pglite-worker-database.ts';

const allByteValues = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const beyondDoubles = 2n ** 53n + 1n;

describe('PgliteWorkerDatabase', () => {
  let db: PgliteWorkerDatabase;
  let inProcess: PgliteDatabase;

  beforeAll(async () => {
    [db, inProcess] = await Promise.all([PgliteWorkerDatabase.open(), PgliteDatabase.open()]);
  });
  afterAll(async () => {
    await Promise.all([db?.close(), inProcess?.close()]);
  });

  describe('values survive the trip to the worker and back', () => {
    const roundTrip = `select $1::int8 as big, $2::bytea as bytes, $3::jsonb as doc, $4::timestamptz as at, $5::text as nothing,
      9223372036854775807::int8 as max_big, '\\x00ff'::bytea as literal_bytes, array[$6::bytea, null] as byte_array`;
    const doc = { amountMinor: 1250, tags: ['a', null, { nested: [true, 1.5, 'ü€'] }], empty: {} };
    const at = new Date('2024-02-29T23:59:59.123Z');
    // A small Buffer is a view into Node's shared pool: the view, not the pool, must be sent.
    const pooled = Buffer.from([7, 8, 9]);
    const params = [beyondDoubles, allByteValues, doc, at, null, pooled];

    it('int8 as bigint beyond 2^53, bytea as Buffer (all 256 byte values), jsonb, timestamptz, null', async () => {
      const [row] = (await db.query(roundTrip, params)).rows;
      expect(row).toEqual({
        big: beyondDoubles,
        bytes: allByteValues,
        doc,
        at,
        nothing: null,
        max_big: 9223372036854775807n,
        literal_bytes: Buffer.from([0, 255]),
        byte_array: [pooled, null],
      });
      expect(Buffer.isBuffer(row!.bytes)).toBe(true);
      expect(Buffer.isBuffer((row!.byte_array as unknown[])[0])).toBe(true);
      expect(row!.at).toBeInstanceOf(Date);
    });

    it('gives exactly what the in-process adapter gives, including a Buffer sent as text', async () => {
      const sql = `${roundTrip}, $7::text as buffer_as_text`;
      const all = [...params, Buffer.from('grüße')];
      expect((await db.query(sql, all)).rows).toEqual((await inProcess.query(sql, all)).rows);
    });

    it('stores and reads back bytea and int8 through a table, with row counts', async () => {
      await db.exec(`create table blobs (id int8 primary key, body bytea not null)`);
      const inserted = await db.query(`insert into blobs values ($1, $2), ($3, $4)`, [
        beyondDoubles,
        allByteValues,
        -beyondDoubles,
        Buffer.alloc(0),
      ]);
      expect(inserted.rowCount).toBe(2);
      const { rows } = await db.query<{ id: bigint; body: Buffer }>(`select id, body from blobs order by id`);
      expect(rows).toEqual([
        { id: -beyondDoubles, body: Buffer.alloc(0) },
        { id: beyondDoubles, body: allByteValues },
      ]);
    });
  });

  describe('errors', () => {
    it('keeps the PostgreSQL message and SQLSTATE code', async () => {
      await db.exec(`create table uniques (id int primary key)`);
      await db.query(`insert into uniques values (1)`);
      await expect(db.query(`insert into uniques values (1)`)).rejects.toMatchObject({
        message: expect.stringContaining('duplicate key value violates unique constraint'),
        code: '23505',
        constraint: 'uniques_pkey',
      });
      await expect(db.exec(`select 1/0`)).rejects.toMatchObject({ message: 'division by zero', code: '22012' });
    });

    it('rejects a parameter that cannot be cloned, and keeps working', async () => {
      await expect(db.query(`select $1::text`, [() => 1])).rejects.toThrow(/could not be cloned/);
      expect((await db.query(`select 1 as one`)).rows).toEqual([{ one: 1 }]);
    });
  });

  describe('transactions', () => {
    beforeAll(() => db.exec(`create table ledger (entry text primary key)`));
    afterEach(() => db.exec(`delete from ledger`));

    const entries = async (target: Database = db) =>
      (await target.query<{ entry: string }>(`select entry from ledger order by entry`)).rows.map((r) => r.entry);

    it('commits what work wrote and returns what work returned', async () => {
      const result = await db.transaction(async (tx) => {
        await tx.query(`insert into ledger values ($1)`, ['a']);
        await tx.exec(`insert into ledger values ('b')`);
        return (await tx.query<{ n: bigint }>(`select count(*) as n from ledger`)).rows[0]!.n;
      });
      expect(result).toBe(2n);
      expect(await entries()).toEqual(['a', 'b']);
    });

    it('rolls back when work throws: nothing is written', async () => {
      const failure = new Error('work failed');
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`insert into ledger values ('lost')`);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await entries()).toEqual([]);
    });

    it('a failed statement rejects inside work, with its code; rethrowing rolls back', async () => {
      const seen: unknown[] = [];
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`insert into ledger values ('x')`);
          await tx.query(`insert into ledger values ('x')`).catch((error: unknown) => {
            seen.push(error);
            throw error;
          });
        }),
      ).rejects.toMatchObject({ code: '23505' });
      expect(seen).toHaveLength(1);
      expect(await entries()).toEqual([]);
    });

    it('serves concurrent statements of one transaction', async () => {
      await db.transaction((tx) => Promise.all(['p', 'q', 'r'].map((entry) => tx.query(`insert into ledger values ($1)`, [entry]))));
      expect(await entries()).toEqual(['p', 'q', 'r']);
    });

    it('a plain query from another caller waits for the open transaction and sees its commit', async () => {
      const { held, release, begun, began } = gate();
      const events: string[] = [];
      const writer = db.transaction(async (tx) => {
        await tx.query(`insert into ledger values ('committed')`);
        began();
        await held;
        events.push('commit');
      });
      await begun;
      const reader = entries().then((rows) => {
        events.push('read');
        return rows;
      });
      await sleep(100);
      expect(events).toEqual([]); // the reader is queued in the worker behind the open transaction
      release();
      await writer;
      expect(await reader).toEqual(['committed']);
      expect(events).toEqual(['commit', 'read']);
    });

    it('refuses a statement on a transaction that has ended', async () => {
      let leaked!: Parameters<Parameters<Database['transaction']>[0]>[0];
      await db.transaction(async (tx) => void (leaked = tx));
      await expect(leaked.query(`select 1`)).rejects.toThrow('Transaction is closed');
    });
  });

  describe('listen', () => {
    it('delivers a notification sent in a transaction only after it commits, until unlistened', async () => {
      const received: string[] = [];
      const unlisten = await db.listen('ledger_changed', (payload) => received.push(payload));
      await db.transaction(async (tx) => {
        await tx.query(`select pg_notify('ledger_changed', 'first')`);
        await tx.query(`select 1`);
        await sleep(50);
        expect(received).toEqual([]);
      });
      await waitUntil(() => received.length === 1);
      expect(received).toEqual(['first']);

      await unlisten();
      await db.query(`select pg_notify('ledger_changed', 'second')`);
      await db.query(`select 1`);
      await sleep(50);
      expect(received).toEqual(['first']);
    });
  });

  it('keeps the event loop free while a query runs, unlike the in-process adapter', async () => {
    const slowQuery = `select pg_sleep(0.5)`;
    const worker = await ticksDuring(() => db.query(slowQuery));
    const blocking = await ticksDuring(() => inProcess.query(slowQuery));
    // Both really waited half a second in PostgreSQL.
    expect(worker.elapsedMs).toBeGreaterThanOrEqual(450);
    expect(blocking.elapsedMs).toBeGreaterThanOrEqual(450);
    // A free loop fires a 10 ms interval ~50 times in 500 ms; 10 leaves room for a loaded machine.
    // It proves that this thread ran timers (so it would serve HTTP requests) while PostgreSQL was
    // busy in the worker. The in-process adapter blocked this thread for the whole query.
    expect(worker.ticks).toBeGreaterThanOrEqual(10);
    expect(blocking.ticks).toBeLessThanOrEqual(2);
  });
});

describe('PgliteWorkerDatabase on a data directory', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'paystream-pglite-worker-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('refuses a second open of the same directory in this process, and reopens after close', async () => {
    const dir = dataDir();
    const first = await PgliteWorkerDatabase.open({ dataDir: dir });
    await first.exec(`create table kept (n int8); insert into kept values (42)`);
    await expect(PgliteWorkerDatabase.open({ dataDir: dir })).rejects.toThrow(/already open in this process/);
    await expect(PgliteDatabase.open({ dataDir: dir })).rejects.toThrow(/already open in this process/);
    await first.close();

    const again = await PgliteWorkerDatabase.open({ dataDir: dir });
    expect((await again.query(`select n from kept`)).rows).toEqual([{ n: 42n }]);
    await again.close();
  });

  it('a crashed worker rejects every pending and later call clearly, and frees the directory', async () => {
    const dir = dataDir();
    const db = await PgliteWorkerDatabase.open({ dataDir: dir });
    const { held, release, begun, began } = gate();
    const open = db.transaction(async (tx) => {
      await tx.query(`select 1`);
      began();
      await held;
      await tx.query(`select 2`);
    });
    open.catch(() => {});
    await begun;
    const queued = db.query(`select 3`); // waits in the worker behind the open transaction

    db.simulateCrashForTesting();
    const crashed = {
      code: ErrorCodes.DATABASE_UNAVAILABLE,
      message: expect.stringMatching(/worker thread stopped unexpectedly.*crash injected by a test/),
    };
    await expect(queued).rejects.toMatchObject(crashed);
    release();
    await expect(open).rejects.toMatchObject(crashed);
    await expect(db.query(`select 4`)).rejects.toMatchObject(crashed);
    await db.close(); // nothing left to close

    const reopened = await PgliteWorkerDatabase.open({ dataDir: dir });
    expect((await reopened.query(`select 1 as one`)).rows).toEqual([{ one: 1 }]);
    await reopened.close();
  });
});

async function ticksDuring(run: () => Promise<unknown>): Promise<{ ticks: number; elapsedMs: number }> {
  let ticks = 0;
  const interval = setInterval(() => ticks++, 10);
  const startMs = performance.now();
  try {
    await run();
    return { ticks, elapsedMs: performance.now() - startMs };
  } finally {
    clearInterval(interval);
  }
}

/** Holds a transaction open: `began` says it has begun, `release` lets it finish. */
function gate() {
  let began!: () => void;
  let release!: () => void;
  const begun = new Promise<void>((resolve) => (began = resolve));
  const held = new Promise<void>((resolve) => (release = resolve));
  return { began, begun, release, held };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
