import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { embeddedFixture, type BackboneFixture } from '../../backbone/testing/embedded-fixture.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import type { Database } from '../../backbone/storage/database.ts';
import { appendAuditEntry, type AuditRecord } from './append.ts';
import { entryHash, genesisHash } from './chain.ts';
import { auditEntryColumns, entryFromRow, type AuditRow } from './audit-rows.ts';
import { auditMigrations } from './migrations.ts';
import { verifyAuditChain } from './verify.ts';
import { stageAuditRecord } from './stage.ts';
import { chainPendingRound } from './chainer.ts';

function record(n: number, correlationId = 'corr-1'): AuditRecord {
  return {
    eventId: `event-${n}`,
    topic: 'payments.completed.v1',
    eventType: 'PaymentCompleted',
    schemaVersion: 1,
    key: 'account-1',
    correlationId,
    causationId: n > 1 ? `event-${n - 1}` : null,
    occurredAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
    paymentId: `payment-${n}`,
    payloadJson: JSON.stringify({ amountMinor: String(n * 100), paymentId: `payment-${n}` }),
  };
}

async function appendAll(db: Database, count: number): Promise<void> {
  for (let n = 1; n <= count; n++) await db.transaction((tx) => appendAuditEntry(tx, record(n), Date.UTC(2025, 0, 1) + n));
}

/** Runs `work` with the append-only triggers off: what only someone with DDL rights can do. */
async function asTamperer(db: Database, work: () => Promise<unknown>): Promise<void> {
  await db.exec(`alter table audit_log disable trigger user; alter table audit_chain_head disable trigger user`);
  try {
    await work();
  } finally {
    await db.exec(`alter table audit_log enable trigger user; alter table audit_chain_head enable trigger user`);
  }
}

describe('the audit chain (PGlite)', () => {
  let fixture: BackboneFixture;
  let db: Database;

  beforeAll(async () => {
    fixture = await embeddedFixture();
    db = fixture.db;
    await migrate(db, 'audit', auditMigrations);
  });
  afterAll(() => fixture.close());
  // One database for the file (PGlite takes seconds to start); each test starts from an empty chain.
  beforeEach(() =>
    asTamperer(db, () =>
      db.exec(
        `delete from audit_pending; delete from audit_log; update audit_chain_head set last_sequence = 0, last_hash = '${genesisHash}'`,
      ),
    ),
  );

  it('links each entry to the one before and verifies, in batches', async () => {
    await appendAll(db, 5);
    const rows = (await db.query<AuditRow>(`select ${auditEntryColumns} from audit_log order by sequence`)).rows.map(entryFromRow);
    expect(rows.map((entry) => entry.sequence)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(rows[0]!.prevHash).toBe(genesisHash);
    for (const [i, entry] of rows.entries()) {
      expect(entry.hash).toBe(entryHash(entry));
      if (i > 0) expect(entry.prevHash).toBe(rows[i - 1]!.hash);
    }
    expect(await verifyAuditChain(db, { batchEntries: 2 })).toEqual({ ok: true, entries: 5, lastSequence: 5n, lastHash: rows[4]!.hash });
  });

  it('verifies an empty chain', async () => {
    expect(await verifyAuditChain(db)).toEqual({ ok: true, entries: 0, lastSequence: 0n, lastHash: genesisHash });
  });

  it('appends an eventId once, however often it is delivered', async () => {
    await appendAll(db, 2);
    const again = await db.transaction((tx) => appendAuditEntry(tx, record(2), Date.now()));
    expect(again).toBeUndefined();
    expect((await db.query(`select * from audit_log`)).rows).toHaveLength(2);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database', async () => {
    await appendAll(db, 2);
    await expect(db.query(`update audit_log set payload_json = '{}' where sequence = 1`)).rejects.toThrow(/append-only: UPDATE/);
    await expect(db.query(`delete from audit_log where sequence = 2`)).rejects.toThrow(/append-only: DELETE/);
    await expect(db.exec(`truncate audit_log`)).rejects.toThrow(/append-only: TRUNCATE/);
    await expect(db.query(`update audit_chain_head set last_sequence = 0`)).rejects.toThrow(/append-only/);
    await expect(db.query(`delete from audit_chain_head`)).rejects.toThrow(/append-only/);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('detects an altered entry by its hash', async () => {
    await appendAll(db, 4);
    await asTamperer(db, () =>
      db.query(`update audit_log set payload_json = '{"amountMinor":"1","paymentId":"payment-2"}' where sequence = 2`),
    );
    expect(await verifyAuditChain(db, { batchEntries: 3 })).toMatchObject({ ok: false, entries: 1, sequence: 2n, reason: 'hash-mismatch' });
  });

  it('detects an altered entry whose hash was recomputed, at the next link', async () => {
    await appendAll(db, 4);
    const second = entryFromRow((await db.query<AuditRow>(`select ${auditEntryColumns} from audit_log where sequence = 2`)).rows[0]!);
    const forged = { ...second, correlationId: 'someone-else' };
    await asTamperer(db, () =>
      db.query(`update audit_log set correlation_id = $1, hash = $2 where sequence = 2`, [forged.correlationId, entryHash(forged)]),
    );
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, entries: 2, sequence: 3n, reason: 'prev-hash-mismatch' });
  });

  it('detects a removed entry as a gap', async () => {
    await appendAll(db, 4);
    await asTamperer(db, () => db.query(`delete from audit_log where sequence = 2`));
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, entries: 1, sequence: 2n, reason: 'gap' });
  });

  it('detects a removed tail by the chain head', async () => {
    await appendAll(db, 4);
    await asTamperer(db, () => db.query(`delete from audit_log where sequence = 4`));
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, entries: 3, sequence: 4n, reason: 'head-mismatch' });
  });

  describe('staging and chaining', () => {
    const stage = (n: number) => db.transaction((tx) => stageAuditRecord(tx, record(n), Date.UTC(2025, 0, 1) + n));
    const chainedIds = async () =>
      (await db.query<{ event_id: string }>(`select event_id from audit_log order by sequence`)).rows.map((row) => row.event_id);
    const pendingCount = async () => (await db.query<{ n: bigint }>(`select count(*)::int8 as n from audit_pending`)).rows[0]!.n;

    it('chains staged records in arrival order, in rounds of at most batchEntries, into a chain that verifies', async () => {
      for (let n = 1; n <= 5; n++) expect(await stage(n)).toBe(true);
      expect(await chainedIds()).toEqual([]);
      expect(await chainPendingRound(db, 2)).toEqual({ taken: 2, chained: 2, duplicates: 0, lastSequence: 2n });
      expect(await chainPendingRound(db, 2)).toMatchObject({ chained: 2, lastSequence: 4n });
      expect(await chainPendingRound(db, 2)).toMatchObject({ taken: 1, chained: 1, lastSequence: 5n });
      expect(await chainPendingRound(db, 2)).toEqual({ taken: 0, chained: 0, duplicates: 0, lastSequence: 5n });
      expect(await chainedIds()).toEqual(['event-1', 'event-2', 'event-3', 'event-4', 'event-5']);
      expect(await pendingCount()).toBe(0n);
      // The entry keeps the consumer's recordedAt, not the chainer's clock.
      const first = entryFromRow((await db.query<AuditRow>(`select ${auditEntryColumns} from audit_log where sequence = 1`)).rows[0]!);
      expect(first).toMatchObject({ ...record(1), recordedAt: new Date(Date.UTC(2025, 0, 1) + 1), prevHash: genesisHash });
      expect(await verifyAuditChain(db, { batchEntries: 2 })).toMatchObject({ ok: true, entries: 5, lastSequence: 5n });
    });

    it('stages an eventId once, whether it is still staged or already chained', async () => {
      expect(await stage(1)).toBe(true);
      expect(await stage(1)).toBe(false);
      await chainPendingRound(db, 10);
      expect(await stage(1)).toBe(false);
      expect(await pendingCount()).toBe(0n);
      expect(await chainedIds()).toEqual(['event-1']);
    });

    it('drops a staged record whose event was chained meanwhile (a redelivery racing the chainer)', async () => {
      await appendAll(db, 1);
      // What slips past the staging check when the chainer commits the same event concurrently.
      await db.query(
        `insert into audit_pending (event_id, topic, event_type, schema_version, event_key, correlation_id, occurred_at, recorded_at, payload_json)
         values ('event-1', 't', 'E', 1, 'k', 'c', 'o', now(), '{}')`,
      );
      await stage(2);
      expect(await chainPendingRound(db, 10)).toEqual({ taken: 2, chained: 1, duplicates: 1, lastSequence: 2n });
      expect(await chainedIds()).toEqual(['event-1', 'event-2']);
      expect(await pendingCount()).toBe(0n);
      expect((await verifyAuditChain(db)).ok).toBe(true);
    });

    it('leaves everything staged when a round fails, and chains it on the next', async () => {
      await stage(1);
      await stage(2);
      // A failure midway (here the insert into audit_log) must roll the whole round back.
      await db.exec(`create function audit_test_fail() returns trigger language plpgsql as $$ begin raise exception 'injected'; end $$;
        create trigger audit_test_fail before insert on audit_log for each statement execute function audit_test_fail()`);
      try {
        await expect(chainPendingRound(db, 10)).rejects.toThrow(/injected/);
      } finally {
        await db.exec(`drop trigger audit_test_fail on audit_log; drop function audit_test_fail()`);
      }
      expect(await pendingCount()).toBe(2n);
      expect(await chainPendingRound(db, 10)).toMatchObject({ chained: 2, lastSequence: 2n });
      expect((await verifyAuditChain(db)).ok).toBe(true);
    });

    it('refuses to change a staged record, or truncate the queue', async () => {
      await stage(1);
      await expect(db.query(`update audit_pending set payload_json = '{}'`)).rejects.toThrow(/append-only: UPDATE/);
      await expect(db.exec(`truncate audit_pending`)).rejects.toThrow(/append-only: TRUNCATE/);
    });
  });
});
