import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../../backbone/storage/database.ts';
import type { Clock } from '../../backbone/clock/clock.ts';
import { allScopes, type Principal, type Scope } from '../http/scopes.ts';

/**
 * API keys: `psk_<keyId>_<secret>`. Only a SHA-256 of the secret is stored (the secret is 32 random
 * bytes, so a fast hash is enough: there is nothing to brute-force), compared in constant time.
 * Verified keys are cached for `cacheTtlMs`, so a revocation takes effect within that time.
 */
export class ApiKeys {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #cacheTtlMs: number;
  readonly #bootstrap: { secretSha256: Buffer } | undefined;
  readonly #cache = new Map<string, { secretSha256: Buffer; scopes: ReadonlySet<Scope>; expiresAtMs: number } | { missing: true; expiresAtMs: number }>();

  /** `bootstrapKey` (PAYSTREAM_API_KEY): accepted with every scope, never stored. */
  constructor(db: Database, clock: Clock, options: { bootstrapKey?: string | undefined; cacheTtlMs?: number } = {}) {
    this.#db = db;
    this.#clock = clock;
    this.#cacheTtlMs = options.cacheTtlMs ?? 30_000;
    if (options.bootstrapKey !== undefined && options.bootstrapKey.length < 16) throw new RangeError('PAYSTREAM_API_KEY must be at least 16 characters');
    this.#bootstrap = options.bootstrapKey === undefined ? undefined : { secretSha256: sha256(options.bootstrapKey) };
  }

  async create(label: string, scopes: readonly Scope[]): Promise<{ key: string; keyId: string }> {
    const keyId = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    await this.#db.query(`insert into api_keys (key_id, secret_sha256, scopes, label) values ($1, $2, $3, $4)`, [keyId, sha256(secret), [...scopes], label]);
    return { key: `psk_${keyId}_${secret}`, keyId };
  }

  /**
   * On a first start without PAYSTREAM_API_KEY, creates a key with every scope and returns it (to
   * print once). Returns undefined when a bootstrap key is configured or keys exist.
   */
  async ensureInitialKey(): Promise<string | undefined> {
    if (this.#bootstrap) return undefined;
    const existing = await this.#db.query(`select 1 from api_keys where revoked_at is null limit 1`);
    if (existing.rows.length > 0) return undefined;
    return (await this.create('initial key (created at first start)', allScopes)).key;
  }

  async verify(presented: string): Promise<Principal | undefined> {
    if (this.#bootstrap && constantTimeEqual(sha256(presented), this.#bootstrap.secretSha256)) return { keyId: 'env', scopes: new Set(allScopes) };
    const match = /^psk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(presented);
    if (!match) return undefined;
    const [, keyId, secret] = match as unknown as [string, string, string];
    const stored = await this.#lookup(keyId);
    if (!stored || !constantTimeEqual(sha256(secret), stored.secretSha256)) return undefined;
    return { keyId, scopes: stored.scopes };
  }

  async #lookup(keyId: string): Promise<{ secretSha256: Buffer; scopes: ReadonlySet<Scope> } | undefined> {
    const nowMs = this.#clock.nowMs();
    const cached = this.#cache.get(keyId);
    if (cached && cached.expiresAtMs > nowMs) return 'missing' in cached ? undefined : cached;
    const result = await this.#db.query<{ secret_sha256: Buffer; scopes: string[] }>(`select secret_sha256, scopes from api_keys where key_id = $1 and revoked_at is null`, [keyId]);
    const row = result.rows[0];
    if (this.#cache.size > 10_000) this.#cache.clear();
    if (!row) {
      this.#cache.set(keyId, { missing: true, expiresAtMs: nowMs + this.#cacheTtlMs });
      return undefined;
    }
    const entry = { secretSha256: row.secret_sha256, scopes: new Set(row.scopes as Scope[]), expiresAtMs: nowMs + this.#cacheTtlMs };
    this.#cache.set(keyId, entry);
    return entry;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
