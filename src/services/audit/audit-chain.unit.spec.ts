import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { embeddedFixture, type BackboneFixture } from '../../backbone/testing/embedded-fixture.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import type { Database } from '../../backbone/storage/database.ts';
import { appendAuditEntry, type AuditRecord } from './append.ts';
import { entryHash, genesisHash } from './chain.ts';
import { auditEntryColumns, entryFromRow, type AuditRow } from './audit-rows.ts';
import { auditMigrations } from './schema.ts';
import { verifyAuditChain } from './verify.ts';

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
  beforeEach(() => asTamperer(db, () => db.exec(`delete from audit_log; update audit_chain_head set last_sequence = 0, last_hash = '${genesisHash}'`)));

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
    await asTamperer(db, () => db.query(`update audit_log set payload_json = '{"amountMinor":"1","paymentId":"payment-2"}' where sequence = 2`));
    expect(await verifyAuditChain(db, { batchEntries: 3 })).toMatchObject({ ok: false, entries: 1, sequence: 2n, reason: 'hash-mismatch' });
  });

  it('detects an altered entry whose hash was recomputed, at the next link', async () => {
    await appendAll(db, 4);
    const second = entryFromRow((await db.query<AuditRow>(`select ${auditEntryColumns} from audit_log where sequence = 2`)).rows[0]!);
    const forged = { ...second, correlationId: 'someone-else' };
    await asTamperer(db, () => db.query(`update audit_log set correlation_id = $1, hash = $2 where sequence = 2`, [forged.correlationId, entryHash(forged)]));
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
});
