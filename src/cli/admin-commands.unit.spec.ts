import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../backbone/storage-pglite/index.ts';
import { migrate } from '../backbone/storage/migrate.ts';
import { systemClock } from '../backbone/clock/clock.ts';
import { appendAuditEntry, auditMigrations } from '../services/audit/index.ts';
import { ApiKeys } from '../services/gateway/index.ts';
import { auditVerifyCommand, keysCreateCommand, parseExpiry, parseKeyOptions, parseScopes } from './admin-commands.ts';

describe('paystream keys create: options', () => {
  it('takes known scopes, comma-separated, without duplicates', () => {
    expect(parseScopes(' payments:read, payments:write,payments:read ')).toEqual({ ok: true, scopes: ['payments:read', 'payments:write'] });
  });

  it('refuses an unknown scope, naming it and the known ones', () => {
    const parsed = parseScopes('payments:read,payments:delete');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.error).toMatch(/unknown scope payments:delete; scopes: payments:write, payments:read, accounts:admin, ops/);
  });

  it('refuses no scopes and no label', () => {
    expect(parseScopes(undefined).ok).toBe(false);
    expect(parseScopes(' , ').ok).toBe(false);
    expect(parseKeyOptions({ scopes: 'ops' })).toMatchObject({
      ok: false,
      outcome: { exitCode: 2, stderr: [expect.stringMatching(/--label is required/)] },
    });
    expect(parseKeyOptions({ label: 'ci', scopes: 'ops' })).toEqual({ ok: true, request: { label: 'ci', scopes: ['ops'] } });
  });
});

describe('paystream audit verify and keys create (PGlite)', () => {
  let db: PgliteDatabase;
  beforeAll(async () => {
    db = await PgliteDatabase.open();
  });
  afterAll(() => db.close());

  it('refuses a database without an audit log instead of calling it a valid empty chain', async () => {
    expect(await auditVerifyCommand(db)).toMatchObject({ exitCode: 1, stderr: [expect.stringMatching(/no audit log in this database/)] });
  });

  it('exits 0 on an intact chain and 1 with the first broken sequence after tampering', async () => {
    await migrate(db, 'audit', auditMigrations);
    expect(await auditVerifyCommand(db)).toMatchObject({ exitCode: 0, stdout: [expect.stringMatching(/^audit chain ok: 0 entries/)] });
    for (let n = 1; n <= 3; n++) {
      await db.transaction((tx) =>
        appendAuditEntry(
          tx,
          {
            eventId: `event-${n}`,
            topic: 'payments.completed.v1',
            eventType: 'PaymentCompleted',
            schemaVersion: 1,
            key: 'account-1',
            correlationId: 'flow-1',
            causationId: null,
            occurredAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
            paymentId: `payment-${n}`,
            payloadJson: `{"n":${n}}`,
          },
          Date.UTC(2025, 0, 1) + n,
        ),
      );
    }
    expect(await auditVerifyCommand(db)).toMatchObject({
      exitCode: 0,
      stdout: [expect.stringMatching(/^audit chain ok: 3 entries, last sequence 3/)],
    });

    // Someone with DDL rights turns the append-only trigger off and edits an entry.
    await db.exec(`alter table audit_log disable trigger user`);
    await db.exec(`update audit_log set payload_json = '{"n":200}' where sequence = 2`);
    await db.exec(`alter table audit_log enable trigger user`);
    const broken = await auditVerifyCommand(db);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toEqual([]);
    expect(broken.stderr).toEqual([
      expect.stringMatching(/^audit chain BROKEN at sequence 2 \(hash-mismatch\)/),
      '1 entries verified before the break',
    ]);
  });

  it('creates a key that is printed once and verifies with exactly its scopes', async () => {
    const outcome = await keysCreateCommand(db, systemClock, { label: 'reporting job', scopes: ['payments:read'] });
    expect(outcome.exitCode).toBe(0);
    const key = outcome.stdout.map((line) => line.trim()).find((line) => line.startsWith('psk_'));
    expect(key).toBeDefined();
    const principal = await new ApiKeys(db, systemClock).verify(key!);
    expect(principal && [...principal.scopes]).toEqual(['payments:read']);
    const stored = await db.query<{ label: string }>(`select label from api_keys where key_id = $1`, [principal!.keyId]);
    expect(stored.rows).toEqual([{ label: 'reporting job' }]);
  });
});

describe('paystream keys create --expires', () => {
  const nowMs = Date.parse('2026-03-01T12:00:00Z');
  it('takes a duration from now or an ISO date in the future', () => {
    expect(parseExpiry('90d', nowMs)).toEqual({ ok: true, expiresAtMs: nowMs + 90 * 86_400_000 });
    expect(parseExpiry('12h', nowMs)).toEqual({ ok: true, expiresAtMs: nowMs + 12 * 3_600_000 });
    expect(parseExpiry('2026-06-01', nowMs)).toEqual({ ok: true, expiresAtMs: Date.parse('2026-06-01T00:00:00Z') });
    expect(parseExpiry('2026-06-01T09:00:00+02:00', nowMs)).toEqual({ ok: true, expiresAtMs: Date.parse('2026-06-01T07:00:00Z') });
  });

  it('refuses the past, a date without its offset and anything else', () => {
    expect(parseExpiry('2026-02-01', nowMs)).toMatchObject({ ok: false, error: expect.stringMatching(/in the past/) });
    for (const text of ['90', '0d', '3 months', '2026-06-01T09:00', 'tomorrow', '2026-13-45'])
      expect(parseExpiry(text, nowMs).ok, text).toBe(false);
  });
});
