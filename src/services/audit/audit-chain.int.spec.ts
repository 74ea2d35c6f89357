import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresDatabase } from '../../backbone/storage-postgres/postgres-database.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../../../test/support/engines.ts';
import { appendAuditEntry, type AuditRecord } from './append.ts';
import { auditMigrations } from './schema.ts';
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

  it('keeps one gapless order when many transactions append at once, some rolling back', async () => {
    const writers = Array.from({ length: 8 }, (_, writer) =>
      (async () => {
        for (let n = 0; n < 15; n++) {
          const rollBack = n % 5 === 4;
          await db
            .transaction(async (tx) => {
              await appendAuditEntry(tx, record(`w${writer}-${n}`), Date.now());
              // Holding the head a little longer makes the other writers queue behind it.
              await tx.query(`select pg_sleep(0.002)`);
              if (rollBack) throw new Error('rolled back on purpose');
            })
            .catch((error: unknown) => {
              if (!rollBack) throw error;
            });
        }
      })(),
    );
    await Promise.all(writers);
    const result = await db.query<{ count: bigint; max: bigint }>(`select count(*)::int8 as count, max(sequence) as max from audit_log`);
    expect(result.rows[0]).toEqual({ count: 96n, max: 96n });
    expect(await verifyAuditChain(db, { batchEntries: 10 })).toMatchObject({ ok: true, entries: 96, lastSequence: 96n });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on PostgreSQL 15 too', async () => {
    await expect(db.query(`update audit_log set payload_json = '[]'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`delete from audit_log`)).rejects.toThrow(/append-only/);
    await expect(db.query(`truncate audit_log`)).rejects.toThrow(/append-only/);
  });
});
