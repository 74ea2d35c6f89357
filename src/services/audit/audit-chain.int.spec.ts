import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresDatabase } from '../../backbone/storage-postgres/postgres-database.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../../../test/support/engines.ts';
import pino from 'pino';
import { eventually } from '../../backbone/testing/embedded-fixture.ts';
import type { AuditRecord } from './append.ts';
import { AuditChainer } from './chainer-worker.ts';
import { chainPendingRound } from './chainer.ts';
import { auditMigrations } from './migrations.ts';
import { stageAuditRecord } from './stage.ts';
import { verifyAuditChain } from './verify.ts';

const record = (eventId: string): AuditRecord => ({
  eventId,
  topic: 'payments.submitted.v1',
  eventType: 'PaymentSubmitted',
  schemaVersion: 1,
  key: 'account',
  correlationId: eventId,
  causationId: null,
  occurredAt: '2025-01-01T00:00:00.000Z',
  paymentId: null,
  payloadJson: '{}',
});

describeWithPostgres('the audit chain on PostgreSQL', () => {
  let database: TestDatabase;
  let db: PostgresDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('audit');
    db = new PostgresDatabase({ connectionString: database.url, poolSize: 10 });
    await migrate(db, 'audit', auditMigrations);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('keeps one gapless order when many transactions stage at once, some rolling back, while chainers take turns', async () => {
    // Two chainer workers woken only by NOTIFY (the idle poll is longer than the test), and a third
    // contender chaining small rounds in a loop: the head lock must make them take turns.
    const chainers = [0, 1].map(
      () => new AuditChainer({ db, logger: pino({ level: 'silent' }), batchEntries: 7, idlePollMs: 60_000, failureBackoffMs: 50 }),
    );
    for (const chainer of chainers) await chainer.start();
    let writing = true;
    const contender = (async () => {
      while (writing) await chainPendingRound(db, 3);
    })();
    const committed = new Set<string>();
    const writers = Array.from({ length: 8 }, (_, writer) =>
      (async () => {
        for (let n = 0; n < 15; n++) {
          const rollBack = n % 5 === 4;
          const eventId = `w${writer}-${n}`;
          await db
            .transaction(async (tx) => {
              expect(await stageAuditRecord(tx, record(eventId), Date.now())).toBe(true);
              // A redelivery of the previous event, racing whichever chainer is moving it: when the
              // chainer commits in between, it is staged again, and the chainer must drop it.
              if (committed.has(`w${writer}-${n - 1}`)) await stageAuditRecord(tx, record(`w${writer}-${n - 1}`), Date.now());
              // A longer batch transaction; no writer waits for another (they share no lock).
              await tx.query(`select pg_sleep(0.002)`);
              if (rollBack) throw new Error('rolled back on purpose');
            })
            .catch((error: unknown) => {
              if (!rollBack) throw error;
            });
          if (!rollBack) committed.add(eventId);
        }
      })(),
    );
    try {
      await Promise.all(writers);
    } finally {
      writing = false;
      await contender;
    }
    await eventually(
      async () => (await db.query(`select 1 from audit_pending limit 1`)).rows.length === 0,
      'the chainers to drain audit_pending',
    );
    for (const chainer of chainers) await chainer.stop();

    const result = await db.query<{ count: bigint; max: bigint }>(`select count(*)::int8 as count, max(sequence) as max from audit_log`);
    expect(result.rows[0]).toEqual({ count: 96n, max: 96n });
    const chained = (await db.query<{ event_id: string }>(`select event_id from audit_log`)).rows.map((row) => row.event_id);
    expect(new Set(chained)).toEqual(committed);
    expect(await verifyAuditChain(db, { batchEntries: 10 })).toMatchObject({ ok: true, entries: 96, lastSequence: 96n });
    // Redelivered once chained, every event is a no-op.
    const again = await Promise.all(
      [...committed].map((eventId) => db.transaction((tx) => stageAuditRecord(tx, record(eventId), Date.now()))),
    );
    expect(again.every((staged) => !staged)).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on PostgreSQL 15 too', async () => {
    await expect(db.query(`update audit_log set payload_json = '[]'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`delete from audit_log`)).rejects.toThrow(/append-only/);
    await expect(db.query(`truncate audit_log`)).rejects.toThrow(/append-only/);
  });
});
