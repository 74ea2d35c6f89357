import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../../backbone/storage/database.ts';
import type { Clock } from '../../backbone/clock/clock.ts';
import { allScopes, type Principal, type Scope } from '../http/scopes.ts';

/**
 * How long a process trusts what it read about a key: a key revoked (or expiring) on any process
 * is refused by every process within this time. Two seconds costs one indexed read per active key
 * per process every two seconds.
 */
export const apiKeyCacheTtlMsDefault = 2_000;

/** The key id recorded as the revoker when `paystream keys revoke` works on the database directly. */
export const localOperatorKeyId = 'cli';

/** A key as operators see it: never its secret nor the secret's hash. */
export interface ApiKeyView {
  keyId: string;
  label: string;
  scopes: Scope[];
  createdAt: string;
  /** When it stops being accepted; null: never. */
  expiresAt: string | null;
  revokedAt: string | null;
  /** The key id of whoever revoked it (`env` for PAYSTREAM_API_KEY, `cli` for the command line on the database). */
  revokedBy: string | null;
  /** When a process last read it to accept a request: precise to the cache time, not to the request. */
  lastUsedAt: string | null;
}

/**
 * API keys: `psk_<keyId>_<secret>`. Only a SHA-256 of the secret is stored (the secret is 32 random
 * bytes, so a fast hash is enough: there is nothing to brute-force), compared in constant time.
 * A key may expire (`expiresAt`, checked against the injected clock on every request) and be
 * revoked. Verified keys are cached for `cacheTtlMs` (default `apiKeyCacheTtlMsDefault`), so a
 * revocation on another process takes effect here within that time, and at once on this one.
 */
export class ApiKeys {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #cacheTtlMs: number;
  readonly #bootstrap: { secretSha256: Buffer } | undefined;
  readonly #cache = new Map<string, StoredKey | { missing: true; cachedUntilMs: number }>();

  /** `bootstrapKey` (PAYSTREAM_API_KEY): accepted with every scope, never stored. */
  constructor(db: Database, clock: Clock, options: { bootstrapKey?: string | undefined; cacheTtlMs?: number } = {}) {
    this.#db = db;
    this.#clock = clock;
    this.#cacheTtlMs = options.cacheTtlMs ?? apiKeyCacheTtlMsDefault;
    if (options.bootstrapKey !== undefined && options.bootstrapKey.length < 16)
      throw new RangeError('PAYSTREAM_API_KEY must be at least 16 characters');
    this.#bootstrap = options.bootstrapKey === undefined ? undefined : { secretSha256: sha256(options.bootstrapKey) };
  }

  /** Creates a key; `expiresAtMs` unset: it never expires. The key is returned this once. */
  async create(
    label: string,
    scopes: readonly Scope[],
    options: { expiresAtMs?: number | undefined } = {},
  ): Promise<{ key: string; keyId: string; view: ApiKeyView }> {
    const keyId = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const createdAt = new Date(this.#clock.nowMs());
    const expiresAt = options.expiresAtMs === undefined ? null : new Date(options.expiresAtMs);
    await this.#db.query(
      `insert into api_keys (key_id, secret_sha256, scopes, label, created_at, expires_at) values ($1, $2, $3, $4, $5, $6)`,
      [keyId, sha256(secret), [...scopes], label, createdAt, expiresAt],
    );
    const view: ApiKeyView = {
      keyId,
      label,
      scopes: [...scopes],
      createdAt: createdAt.toISOString(),
      expiresAt: expiresAt?.toISOString() ?? null,
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
    };
    return { key: `psk_${keyId}_${secret}`, keyId, view };
  }

  /** Every key, revoked and expired ones too, oldest first. */
  async list(): Promise<ApiKeyView[]> {
    const result = await this.#db.query<KeyRow>(`select ${viewColumns} from api_keys order by created_at, key_id`);
    return result.rows.map(viewOf);
  }

  /** One key, or undefined when there is none with this id. */
  async get(keyId: string): Promise<ApiKeyView | undefined> {
    const result = await this.#db.query<KeyRow>(`select ${viewColumns} from api_keys where key_id = $1`, [keyId]);
    return result.rows[0] && viewOf(result.rows[0]);
  }

  /**
   * Revokes a key, recording when and by whom (`revokedBy`: the caller's key id). Revoking a key
   * already revoked changes nothing (its first revocation stands). Undefined: no such key.
   */
  async revoke(keyId: string, revokedBy: string): Promise<ApiKeyView | undefined> {
    await this.#db.query(`update api_keys set revoked_at = $2, revoked_by = $3 where key_id = $1 and revoked_at is null`, [
      keyId,
      new Date(this.#clock.nowMs()),
      revokedBy,
    ]);
    this.#cache.delete(keyId);
    return this.get(keyId);
  }

  /**
   * On the very first start without PAYSTREAM_API_KEY (no key was ever created), creates a key
   * with every scope and returns it (to print once). Once keys exist it never mints another, even
   * when all of them are revoked or expired: a restart must not hand out a new all-powerful key;
   * `paystream keys create` on the database does that, deliberately.
   */
  async ensureInitialKey(): Promise<string | undefined> {
    if (this.#bootstrap) return undefined;
    const existing = await this.#db.query(`select 1 from api_keys limit 1`);
    if (existing.rows.length > 0) return undefined;
    return (await this.create('initial key (created at first start)', allScopes)).key;
  }

  async verify(presented: string): Promise<Principal | undefined> {
    if (this.#bootstrap && constantTimeEqual(sha256(presented), this.#bootstrap.secretSha256))
      return { keyId: 'env', scopes: new Set(allScopes) };
    const match = /^psk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(presented);
    if (!match) return undefined;
    const [, keyId, secret] = match as unknown as [string, string, string];
    const stored = await this.#lookup(keyId);
    if (!stored || !constantTimeEqual(sha256(secret), stored.secretSha256)) return undefined;
    if (stored.expiresAtMs !== null && stored.expiresAtMs <= this.#clock.nowMs()) return undefined;
    if (stored.fresh) {
      stored.fresh = false;
      await this.#db.query(`update api_keys set last_used_at = $2 where key_id = $1`, [keyId, new Date(this.#clock.nowMs())]);
    }
    return { keyId, scopes: stored.scopes };
  }

  async #lookup(keyId: string): Promise<StoredKey | undefined> {
    const nowMs = this.#clock.nowMs();
    const cached = this.#cache.get(keyId);
    if (cached && cached.cachedUntilMs > nowMs) return 'missing' in cached ? undefined : cached;
    const result = await this.#db.query<{ secret_sha256: Buffer; scopes: string[]; expires_at: Date | null }>(
      `select secret_sha256, scopes, expires_at from api_keys where key_id = $1 and revoked_at is null`,
      [keyId],
    );
    const row = result.rows[0];
    if (this.#cache.size > 10_000) this.#cache.clear();
    if (!row) {
      this.#cache.set(keyId, { missing: true, cachedUntilMs: nowMs + this.#cacheTtlMs });
      return undefined;
    }
    const entry: StoredKey = {
      secretSha256: row.secret_sha256,
      scopes: new Set(row.scopes as Scope[]),
      expiresAtMs: row.expires_at === null ? null : new Date(row.expires_at).getTime(),
      cachedUntilMs: nowMs + this.#cacheTtlMs,
      fresh: true,
    };
    this.#cache.set(keyId, entry);
    return entry;
  }
}

interface StoredKey {
  secretSha256: Buffer;
  scopes: ReadonlySet<Scope>;
  expiresAtMs: number | null;
  cachedUntilMs: number;
  /** Read from the database and not yet used: the first accepted request records `last_used_at`. */
  fresh: boolean;
}

const viewColumns = 'key_id, label, scopes, created_at, expires_at, revoked_at, revoked_by, last_used_at';

interface KeyRow {
  key_id: string;
  label: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  last_used_at: Date | null;
}

function viewOf(row: KeyRow): ApiKeyView {
  return {
    keyId: row.key_id,
    label: row.label,
    scopes: row.scopes as Scope[],
    createdAt: iso(row.created_at)!,
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    revokedBy: row.revoked_by,
    lastUsedAt: iso(row.last_used_at),
  };
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
